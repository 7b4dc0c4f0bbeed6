"""What the screens read: small frozen dataclasses returned by coordtui.service.

The store's read modules (coordtui.store.reads, *_reads, search, duplicates)
and the service's sync views fill them; screens and widgets type against them.
They import only coordtui.domain and the standard library (and each other), so
the face can import them without the store and without SQLAlchemy.  By area:
``queue`` (what the first screen reads), ``patients``, ``calls``, ``booking``,
``coverage``, ``sync``.
"""
