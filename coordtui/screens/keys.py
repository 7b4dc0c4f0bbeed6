"""Bindings several screens share, so the same key means the same thing everywhere."""

from __future__ import annotations

from textual.binding import Binding


def day_bindings(scope: str) -> list[Binding]:
    """[ ] and t: previous day, next day, today (actions day(-1), day(1), today)."""
    return [
        Binding(
            "left_square_bracket",
            "day(-1)",
            "Prev day",
            key_display="[",
            show=False,
            id=f"{scope}.prev_day",
        ),
        Binding(
            "right_square_bracket",
            "day(1)",
            "Next day",
            key_display="]",
            show=False,
            id=f"{scope}.next_day",
        ),
        Binding("t", "today", "Today", show=False, id=f"{scope}.today"),
    ]
