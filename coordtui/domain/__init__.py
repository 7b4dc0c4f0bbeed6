"""Pure domain rules: no I/O, no Textual, no SQL."""
