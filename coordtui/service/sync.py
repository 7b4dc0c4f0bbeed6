"""Sync for the header and the Sync screen (F6): status, pending changes, conflicts.

The rounds run in the background (coordtui.sync.runner).  Conflict actions
write: call them on the writer thread.  The work is in
coordtui.service.sync_state (status, counts, pending), .conflicts (the
conflict list) and .conflict_actions (rebook, accept, re-apply).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from coordtui.replication.protocol import TOKEN, URL
from coordtui.service.booking import BookingService
from coordtui.service.patients import PatientService

if TYPE_CHECKING:
    from coordtui.read_models.sync import ConflictView, PendingChange, SyncStatus
    from coordtui.sync.client import SyncClient

# Imported on first use, not with the app (the app's import time stays what it was):
# sync_state is first needed when the header paints, conflicts when the Sync screen
# lists them, conflict_actions (the ORM, through the mutations) for an action on one;
# the sync client (httpx and the ORM) in the background round.


class SyncService(BookingService, PatientService):
    """The conflict actions rebook and re-apply through the booking and patient calls."""

    def sync_status(self) -> SyncStatus:
        from coordtui.service.sync_state import status

        return status(self.reads)

    def sync_connected(self) -> bool:
        """Enrolled with a clinic server (plain read: cheap enough to poll)."""
        return bool(self.reads.meta(URL) and self.reads.meta(TOKEN))

    def sync_client(self, timeout: float = 10.0) -> SyncClient:
        from coordtui.sync.client import SyncClient

        return SyncClient(
            self.engine,
            self.db_path,
            timeout=timeout,
            clock=self.now,
            history_days=self.history_days,
        )

    def conflict_count(self) -> int:
        from coordtui.service.sync_state import conflict_count

        return conflict_count(self.reads)

    def pending_changes(self, limit: int = 200) -> list[PendingChange]:
        from coordtui.service.sync_state import pending

        return pending(self.reads, limit)

    def sync_conflicts(self, include_resolved: bool = False) -> list[ConflictView]:
        from coordtui.service.conflicts import conflicts

        return conflicts(self, include_resolved)

    def rebook_conflict(self, mutation_id: int, option: int) -> dict:
        """Book the chosen alternative and resolve the conflict, in one transaction."""
        from coordtui.service.conflict_actions import rebook

        return rebook(self, mutation_id, option)

    def accept_conflict(self, mutation_id: int) -> dict:
        from coordtui.service.conflict_actions import accept

        return accept(self, mutation_id)

    def reapply_conflict(self, mutation_id: int) -> dict:
        from coordtui.service.conflict_actions import reapply

        return reapply(self, mutation_id)
