"""Named mutations: every write coordtui makes, by area.

``core`` holds the contract (``MutationError``, ``Context``, the registry and
its id check); each area module defines its mutations with ``@mutation``, so
importing them here fills ``MUTATIONS``, the table the workstation's outbox
replay and the clinic server run by name.  Nothing here knows about sync,
HTTP or screens: the workstation's runner is ``coordtui.sync.local.run_local``.

Refusals raise ``MutationError`` with a user-facing message (and the field it
concerns, if any); they never carry patient data, so they can be logged.
"""

from coordtui.mutations import booking, calls, patients, schedule, visits, waitlist
from coordtui.mutations.core import (
    ID_ARGS,
    ID_LIST_ARGS,
    LOCAL_ORIGIN,
    MUTATIONS,
    Context,
    Mutation,
    MutationError,
    check_ids,
    mutation,
)

AREAS = (patients, visits, booking, waitlist, schedule, calls)

__all__ = [
    "AREAS",
    "ID_ARGS",
    "ID_LIST_ARGS",
    "LOCAL_ORIGIN",
    "MUTATIONS",
    "Context",
    "Mutation",
    "MutationError",
    "check_ids",
    "mutation",
]
