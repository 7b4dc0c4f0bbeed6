"""Local store: SQLModel tables, the engine with SQLite's safety settings, migrations.

Importing this package pulls in SQLAlchemy, so the app imports it lazily,
after first paint (see coordtui.service).
"""
