"""The one object screens talk to: reads, named mutations, store status.

Knows nothing of Textual.  Reads go through plain sqlite3 (fast, and
available before SQLAlchemy is imported); writes go through the named
mutations on a SQLAlchemy engine that is opened lazily, so the first screen
paints without paying for the ORM import.  Methods block: the app calls them
from thread workers.

``Service`` is one facade made of one class per area, each in its module:

    core        the store file, the lazily opened writer, clock, zone, ``run``
    queue       the day's queue, status changes, check-in, walk-ins
    patients    search, the card, register, edit, merge
    waitlist    waitlist entries and booking one into a freed slot
    booking     free slots, day grids, book, reschedule, cancel, series
    schedule    providers' hours, leave and extra sessions
    calls       call notes, callbacks, reminders, recalls, hand-offs, day summary
    sync        sync status and conflicts (sync_state, conflicts, conflict_actions)

What the methods return are the dataclasses in coordtui.read_models.
"""

from __future__ import annotations

from coordtui.service.calls import CallService
from coordtui.service.schedule import ScheduleService
from coordtui.service.sync import SyncService


class Service(SyncService, CallService, ScheduleService):
    """Every area of the service (SyncService brings booking, queue, waitlist, patients)."""


__all__ = ["Service"]
