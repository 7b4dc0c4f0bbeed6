"""coordtui: a keyboard-first terminal app for clinic front desks."""

__version__ = "0.1.0"
APP_NAME = "coordtui"
