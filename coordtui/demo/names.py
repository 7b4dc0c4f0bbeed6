"""The name corpus: naming traditions with their given and family names and languages.

Names are deliberately hard: diacritics, apostrophes, hyphens, multi-part
surnames, non-Latin scripts, so that search, sorting, display width and
duplicate checks are exercised by default.  All text is stored in NFC.  The
patient factory and the seeder's providers draw from the same pools.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def slug(text: str) -> str:
    """ASCII letters of a Latin name, for e-mail addresses ('García Márquez' -> 'garciamarquez')."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and c.isalnum()).lower()


@dataclass(frozen=True)
class _Name:
    """One pool entry: how it is written natively and in Latin letters."""

    native_m: str
    native_f: str
    latin_m: str
    latin_f: str
    slug_m: str
    slug_f: str


def _entries(spec: str) -> tuple[_Name, ...]:
    """Parse 'native=Latin' items separated by ', '; 'masc/fem' where forms differ.

    E.g. 'Иванов/Иванова=Ivanov/Ivanova', '王=Wang', 'O'Brien'.
    """
    out = []
    for item in spec.split(", "):
        native, _, latin = nfc(item.strip()).partition("=")
        latin = latin or native
        nm, _, nf = native.partition("/")
        lm, _, lf = latin.partition("/")
        nf, lf = nf or nm, lf or lm
        out.append(_Name(nm, nf, lm, lf, slug(lm), slug(lf)))
    return tuple(out)


@dataclass(frozen=True)
class _Culture:
    """A naming tradition with its own pools and languages.

    ``native_share`` of its patients are recorded in the native script
    (given and family alike); the rest in Latin letters.  ``languages`` is a
    cumulative table of (probability, BCP 47 tag); the rest speak English.
    """

    weight: float
    female: tuple[_Name, ...]
    male: tuple[_Name, ...]
    family: tuple[_Name, ...]
    languages: tuple[tuple[float, str], ...] = ()
    native_share: float = 0.0


def _culture(weight, female, male, family, languages=(), native_share=0.0) -> _Culture:
    cumulative, total = [], 0.0
    for tag, share in languages:
        total += share
        cumulative.append((total, tag))
    return _Culture(
        weight, _entries(female), _entries(male), _entries(family), tuple(cumulative), native_share
    )


# Weights roughly follow a diverse US city clinic; pools favour names that
# stress the UI (accents, apostrophes, hyphens, particles, other scripts).
CULTURES: tuple[_Culture, ...] = (
    _culture(
        30,
        "Mary, Patricia, Jennifer, Linda, Elizabeth, Barbara, Susan, Jessica, Sarah, Karen, "
        "Emily, Olivia, Emma, Ava, Sophia, Zoë, Chloë, Abigail, Madison, Hannah, Grace, "
        "Ashley, Megan, Katherine, Margaret, Rebecca, Samantha, Mary-Kate, Anne-Marie, Renée",
        "James, John, Robert, Michael, William, David, Richard, Joseph, Thomas, Charles, "
        "Christopher, Daniel, Matthew, Anthony, Mark, Liam, Noah, Ethan, Mason, Logan, "
        "Tyler, Brandon, Connor, Patrick, Alexander, Billy-Ray, Jean-Luc, Kevin, Brian, Scott",
        "Smith, Johnson, Williams, Brown, Jones, Miller, Davis, Wilson, Anderson, Taylor, "
        "Thomas, Moore, Martin, Lee, Thompson, White, Harris, Clark, Lewis, Walker, Young, "
        "Allen, King, Wright, Scott, Hill, Green, Adams, Baker, Nelson, Carter, Mitchell, "
        "O'Brien, O'Connor, O'Neill, McDonald, MacLeod, Smith-Jones, Taylor-Wright, "
        "Fitzgerald, Murphy, Kelly, Sullivan, Bouchard-Smith",
    ),
    _culture(
        12,
        "Aaliyah, Imani, Keisha, Latoya, Shanice, Ebony, Jasmine, Tamika, Destiny, Nia, "
        "Kiara, Aniyah, Brianna, Deja, Monique",
        "DeShawn, Jamal, Malik, Tyrone, Darnell, Marcus, Terrence, Andre, Jaylen, Darius, "
        "Isaiah, Xavier, Jerome, Reginald, D'Andre",
        "Washington, Jefferson, Jackson, Banks, Freeman, Robinson, Harris, Brooks, Coleman, "
        "Bryant, Simmons, Gaines, Battle, Richardson, Greene",
    ),
    _culture(
        20,
        "María, Guadalupe, Sofía, Valentina, Camila, Lucía, Ximena, Daniela, Ana, "
        "María José, Mónica, Inés, Begoña, Carmen, Rocío, Ana Sofía, Itzel, Yesenia",
        "José, Juan, Luis, Carlos, Jesús, Miguel, Alejandro, Diego, Andrés, Ángel, Óscar, "
        "Raúl, Iván, Juan Carlos, José Luis, Santiago, Héctor, Joaquín",
        "García, Rodríguez, Martínez, Hernández, López, González, Pérez, Sánchez, Ramírez, "
        "Torres, Flores, Rivera, Gómez, Díaz, Cruz, Morales, Reyes, Gutiérrez, Ortiz, Chávez, "
        "Jiménez, Muñoz, Núñez, Peña, de la Cruz, De León, García Márquez, del Valle, "
        "Fernández de Córdoba, Castillo Ruiz, Ibáñez, Mendoza-Ruiz",
        languages=(("es", 0.45),),
    ),
    _culture(
        6,
        "Zoë, Anaïs, Chloé, Hélène, Françoise, Marie-Claire, Anne-Sophie, Giulia, Małgorzata, "
        "Agnieszka, Ingrid, Siobhán, Aoife, Björg, Léa",
        "Jean-Luc, Jean-Pierre, François, Jürgen, Søren, Lukas, Matthias, Giuseppe, Łukasz, "
        "Piotr, Pieter, Niamh, Seán, Ciarán, Jörg",
        "Müller, Schäfer, Groß, Weiß, van der Berg, van Dijk, de Vries, van den Heuvel, "
        "Dupont, Lefèvre, Bérubé, D'Angelo, D'Amico, Di Stefano, De Luca, Rossi, "
        "Kowalski/Kowalska, Wiśniewski/Wiśniewska, Nowak, Østergaard, Björklund, Ó Súilleabháin",
        languages=(("fr", 0.04), ("de", 0.03), ("pl", 0.04), ("it", 0.03)),
    ),
    _culture(
        5,
        "Priya, Ananya, Lakshmi, Deepika, Sunita, Kavya, Aishwarya, Meera, Pooja, Divya",
        "Rahul, Arjun, Vikram, Rohan, Sanjay, Amit, Karthik, Siddharth, Rajesh, Venkatesh",
        "Patel, Shah, Singh, Kumar, Sharma, Gupta, Reddy, Iyer, Chatterjee, Banerjee, "
        "Venkataraman, D'Souza, Menon, Nair",
        languages=(("hi", 0.08), ("gu", 0.05), ("ta", 0.03)),
    ),
    _culture(
        5,
        "芳=Fang, 娜=Na, 秀英=Xiuying, 敏=Min, 静=Jing, 丽=Li, 艳=Yan, 娟=Juan, 霞=Xia, 秀兰=Xiulan, "
        "婷=Ting, 雪=Xue",
        "伟=Wei, 强=Qiang, 磊=Lei, 军=Jun, 洋=Yang, 杰=Jie, 涛=Tao, 明=Ming, 超=Chao, 刚=Gang, "
        "平=Ping, 浩然=Haoran",
        "王=Wang, 李=Li, 张=Zhang, 刘=Liu, 陈=Chen, 杨=Yang, 黄=Huang, 赵=Zhao, 吴=Wu, 周=Zhou, "
        "欧阳=Ouyang, 司马=Sima",
        languages=(("zh", 0.5),),
        native_share=0.35,
    ),
    _culture(
        3,
        "Thị Lan, Thị Hương, Ngọc Anh, Thu Trang, Mai, Thị Hồng, Bảo Châu, Phương Linh",
        "Văn An, Minh Tuấn, Quốc Bảo, Đức Anh, Hoàng, Văn Hùng, Thành Long, Gia Huy",
        "Nguyễn, Trần, Lê, Phạm, Hoàng, Huỳnh, Phan, Vũ, Võ, Đặng, Bùi, Đỗ",
        languages=(("vi", 0.55),),
    ),
    _culture(
        2,
        "서연=Seo-yeon, 지민=Ji-min, 수빈=Su-bin, 민지=Min-ji, 하은=Ha-eun",
        "민준=Min-jun, 서준=Seo-jun, 지훈=Ji-hoon, 도윤=Do-yun, 현우=Hyun-woo",
        "김=Kim, 이=Lee, 박=Park, 최=Choi, 정=Jung, 강=Kang, 윤=Yoon",
        languages=(("ko", 0.4),),
        native_share=0.3,
    ),
    _culture(
        1,
        "花子=Hanako, 陽菜=Hina, 結衣=Yui, さくら=Sakura, 美咲=Misaki",
        "翔太=Shōta, 大翔=Hiroto, 健=Ken, 蓮=Ren, 拓海=Takumi",
        "佐藤=Satō, 鈴木=Suzuki, 高橋=Takahashi, 田中=Tanaka, 渡辺=Watanabe, 伊藤=Itō, "
        "山本=Yamamoto, 中村=Nakamura",
        languages=(("ja", 0.4),),
        native_share=0.3,
    ),
    _culture(
        3,
        "Ольга=Olga, Наталья=Natalya, Елена=Elena, Татьяна=Tatyana, Анна=Anna, Юлия=Yulia, "
        "Светлана=Svetlana",
        "Дмитрий=Dmitry, Алексей=Aleksey, Сергей=Sergey, Иван=Ivan, Андрей=Andrey, "
        "Михаил=Mikhail, Николай=Nikolay",
        "Иванов/Иванова=Ivanov/Ivanova, Смирнов/Смирнова=Smirnov/Smirnova, "
        "Кузнецов/Кузнецова=Kuznetsov/Kuznetsova, Попов/Попова=Popov/Popova, "
        "Соколов/Соколова=Sokolov/Sokolova, Шевченко=Shevchenko, Волков/Волкова=Volkov/Volkova",
        languages=(("ru", 0.5), ("uk", 0.1)),
        native_share=0.35,
    ),
    _culture(
        3,
        "فاطمة=Fatima, عائشة=Aisha, مريم=Maryam, نور=Nour, ليلى=Layla, زينب=Zainab, هدى=Huda",
        "محمد=Mohammed, أحمد=Ahmed, علي=Ali, عمر=Omar, يوسف=Youssef, خالد=Khaled, حسن=Hassan",
        "الحسن=Al-Hassan, حداد=Haddad, منصور=Mansour, خوري=Khoury, عبد الله=Abdullah, "
        "السيد=El-Sayed, نصر=Nasr, سليمان=Suleiman, عبد الرحمن=Abdel-Rahman",
        languages=(("ar", 0.5),),
        native_share=0.3,
    ),
    _culture(
        1,
        "Μαρία=Maria, Ελένη=Eleni, Κατερίνα=Katerina, Σοφία=Sofia, Δέσποινα=Despoina",
        "Αλέξανδρος=Alexandros, Γιώργος=Giorgos, Νίκος=Nikos, Δημήτρης=Dimitris, Κώστας=Kostas",
        "Παπαδόπουλος/Παπαδοπούλου=Papadopoulos/Papadopoulou, Νικολάου=Nikolaou, "
        "Γεωργίου=Georgiou, Οικονόμου=Oikonomou, Καραγιάννης/Καραγιάννη=Karagiannis/Karagianni",
        languages=(("el", 0.3),),
        native_share=0.3,
    ),
    _culture(
        5,
        "Ngozi, Adaeze, Chiamaka, Oluwaseun, Abena, Esperancia, Fabiola, Nadège, Aminata, "
        "Fatoumata",
        "Chinedu, Kwame, Oluwadamilare, Emeka, Kofi, Jean-Baptiste, Wilner, Jean-Robert, "
        "Mamadou, Ousmane",
        "Okafor, Adeyemi, Mensah, Osei, Okonkwo, Jean-Baptiste, Pierre-Louis, Toussaint, "
        "Diallo, Ndiaye, Saint-Fleur, Boakye-Ansah",
        languages=(("ht", 0.15), ("fr", 0.05), ("yo", 0.03)),
    ),
    _culture(
        2,
        "Hodan, Fartun, Ayaan, Hibaq, Selam, Tigist, Meron",
        "Abdi, Abdirahman, Liban, Yonas, Dawit, Tesfaye, Bereket",
        "Warsame, Farah, Mohamed, Haile, Alemu, Tekle, Gebremedhin",
        languages=(("so", 0.3), ("am", 0.2), ("ti", 0.05)),
    ),
    _culture(
        2,
        "Maria da Conceição, Ana Luísa, Fernanda, Thaís, Letícia",
        "João, Gonçalo, Luís Filipe, Thiago, Vinícius",
        "Gonçalves, Magalhães, Conceição, Araújo, da Silva, dos Santos, Assunção",
        languages=(("pt", 0.45),),
    ),
)
CULTURE_CUM: tuple[float, ...] = tuple(
    sum(c.weight for c in CULTURES[: i + 1]) for i in range(len(CULTURES))
)

NICKNAMES = {
    "William": "Bill", "Robert": "Bob", "Richard": "Rick", "Elizabeth": "Liz",
    "Katherine": "Kate", "Christopher": "Chris", "Michael": "Mike", "Jennifer": "Jen",
    "Margaret": "Peggy", "Alexander": "Alex", "Patricia": "Trish", "Joseph": "Joe",
    "Thomas": "Tom", "Daniel": "Dan", "Anthony": "Tony", "James": "Jim", "Rebecca": "Becky",
    "Samantha": "Sam", "Alexandros": "Alex", "Dmitry": "Dima", "Guadalupe": "Lupe",
    "Jesús": "Chuy", "Oluwaseun": "Seun", "Oluwadamilare": "Dami", "Francisco": "Paco",
}  # fmt: skip
