from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coordtui.domain.patient import initials, validate_patient
from coordtui.domain.phones import PhoneError, display, to_e164

TODAY = date(2026, 11, 27)


def test_valid_registration_normalises():
    v = validate_patient(
        {
            "given_name": " José ",
            "family_name": "O'Brien-García",
            "dob": "1980-03-14",
            "phone": "(617) 253-1000",
        },
        TODAY,
        "US",
    )
    assert v.ok
    assert v.values["given_name"] == "José"
    assert v.values["phone"] == "+16172531000"
    assert v.values["dob"] == date(1980, 3, 14)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("dob", "2030-01-01", "future"),
        ("dob", "1850-01-01", "130"),
        ("dob", "14/03/1980x", "date like"),
        ("phone", "12", "not valid|Not a phone"),
        ("phone", "hello", "Not a phone"),
        ("given_name", "   ", "Required"),
        ("email", "nobody", "Email"),
        ("sex", "x", "female, male"),
        ("copay_cents", "-5", "negative"),
        ("given_name", "a\x1b[2Jb", "control"),
    ],
)
def test_bad_fields_get_a_message_at_the_field(field, value, message):
    fields = {"given_name": "A", "family_name": "B", field: value}
    v = validate_patient(fields, TODAY, "US")
    assert field in v.errors
    assert any(part in v.errors[field] for part in message.split("|"))


def test_required_names():
    v = validate_patient({}, TODAY, "US")
    assert set(v.errors) == {"given_name", "family_name"}


def test_partial_edit_checks_only_given_fields():
    assert validate_patient({"phone": "+44 20 7946 0000"}, TODAY, "US", partial=True).ok


def test_phone_messages_do_not_contain_the_number():
    with pytest.raises(PhoneError) as info:
        to_e164("555-0000-99999999", "US")
    assert "555" not in str(info.value)


def test_display_phone():
    assert display("+16172531000", "US") == "(617) 253-1000"
    assert display("+442079460000", "US").startswith("+44")


def test_initials():
    assert initials("José", "García") == "J.G."
    assert initials("", "") == ""


def test_read_typed_date_respects_clinic_order():
    from coordtui.domain.patient import read_typed_date

    assert read_typed_date("14/03/1980") == "1980-03-14"
    assert read_typed_date("03/14/1980", "MDY") == "1980-03-14"
    assert read_typed_date("1980-03-14") == "1980-03-14"
    assert read_typed_date("31/02/1980") == "31/02/1980"  # left for the validator
    assert read_typed_date("soon") == "soon"


def test_read_money_cents():
    from coordtui.domain.patient import read_money_cents

    assert read_money_cents("20") == 2000
    assert read_money_cents("$20.5") == 2050
    assert read_money_cents("") == 0
    assert read_money_cents("12.345") == "12.345"
    assert read_money_cents("abc") == "abc"


def test_what_was_typed_in_lookup_is_carried_into_the_right_fields():
    """Found trying the app: 'Smith, John 3/14/1978' put the date in the given name."""
    from coordtui.domain.patient import guess_from_search

    today = date(2026, 12, 7)
    assert guess_from_search("Smith, John 3/14/1978", "MDY", today) == {
        "family_name": "Smith",
        "given_name": "John",
        "dob": "1978-03-14",
    }
    assert guess_from_search("Smith, John 14/03/1978", "DMY", today)["dob"] == "1978-03-14"
    assert guess_from_search("smith john 617 253 1000", "MDY", today) == {
        "family_name": "smith",
        "given_name": "john",
        "phone": "617 253 1000",
    }
    assert guess_from_search("García Márquez, José", "DMY", today) == {
        "family_name": "García Márquez",
        "given_name": "José",
    }
    assert guess_from_search("0137", "MDY", today) == {}  # last digits of a phone: not enough
    assert guess_from_search("", "MDY", today) == {}


@given(st.text(max_size=60))
def test_guessing_from_any_text_never_raises(text):
    from coordtui.domain.patient import guess_from_search

    out = guess_from_search(text, "DMY", date(2026, 12, 7))
    assert set(out) <= {"family_name", "given_name", "dob", "phone"}
