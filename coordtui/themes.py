"""The three themes: Textual's default, a high-contrast one and monochrome.

Status and long waits are always carried by a symbol as well as colour, so
the monochrome theme (and NO_COLOR) lose nothing but the colour.
"""

from __future__ import annotations

from textual.theme import Theme

THEME_NAMES = {
    "default": "textual-dark",
    "high-contrast": "coordtui-high-contrast",
    "monochrome": "coordtui-monochrome",
}

HIGH_CONTRAST = Theme(
    name="coordtui-high-contrast",
    primary="#ffff00",
    secondary="#00ffff",
    accent="#ffffff",
    warning="#ffff00",
    error="#ff5555",
    success="#00ff00",
    foreground="#ffffff",
    background="#000000",
    surface="#000000",
    panel="#1a1a1a",
    dark=True,
)

MONOCHROME = Theme(
    name="coordtui-monochrome",
    primary="#c0c0c0",
    secondary="#a0a0a0",
    accent="#ffffff",
    warning="#ffffff",
    error="#ffffff",
    success="#c0c0c0",
    foreground="#e0e0e0",
    background="#000000",
    surface="#101010",
    panel="#202020",
    dark=True,
    variables={
        "block-cursor-background": "#ffffff",
        "block-cursor-foreground": "#000000",
        "block-cursor-text-style": "bold",
        "footer-key-foreground": "#ffffff",
        "input-selection-background": "#ffffff 40%",
    },
)

ALL = (HIGH_CONTRAST, MONOCHROME)
