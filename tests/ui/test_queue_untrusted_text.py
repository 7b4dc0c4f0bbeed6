"""Acceptance: hostile names are shown literally and never reach the terminal as codes."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.conftest import wait_for
from tests.ui.helpers import make_app, screen_segment_texts, screen_text

HOSTILE = [
    ("[bold]Bold", "Name"),
    ("[/]Close", "Tag"),
    ("[unbalanced", "Bracket]"),
    ("\x1b[31mRed", "Csi"),
    ("\x1b]0;pwned\x07Osc", "Title"),
    ("\x9b2JClear", "C1"),
    ("Abc\u202eevil", "Bidi"),
    ("[link=http://x]Li", "Nk[/link]"),
]
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


async def test_hostile_names_render_as_literal_text(builder, db_path):
    dr = builder.provider("[red]Dr\x1b[5m")
    for i, (given, family) in enumerate(HOSTILE):
        pat = builder.patient(given, family)
        builder.appointment(
            pat, dr, start=builder.now + timedelta(minutes=5 * i), reason="[b]loud[/b] \x1b[2J"
        )
    app = make_app(db_path)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "Name, [bold]Bold" in text
        assert "Tag, [/]Close" in text
        assert "Bracket], [unbalanced" in text
        assert "Csi, ␛[31mRed" in text
        assert "[red]Dr␛[5m" in text
        for segment in screen_segment_texts(app):
            assert not FORBIDDEN.search(segment), repr(segment)
        # acting on a hostile row works and the confirmation shows the name literally
        await pilot.press("n")
        await wait_for(pilot, lambda: "Mark no-show" in screen_text(app))
        assert "[bold]Bold" in screen_text(app)
        for segment in screen_segment_texts(app):
            assert not FORBIDDEN.search(segment), repr(segment)
    app.service.close()
