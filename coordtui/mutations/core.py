"""The mutation contract: the refusal type, the context a run carries, the registry
and the id check every run by name goes through.

A mutation is ``fn(session, args, ctx) -> result``.  On a workstation
``coordtui.sync.local.run_local`` appends it to the outbox and runs it in the same
transaction; the clinic server runs the very same function on the same args.  So
every id and instant a mutation writes comes in ``args`` (made by the caller),
never from the clock or a random source inside the function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from coordtui.ids import is_uuid


class MutationError(ValueError):
    """A business refusal; ``field`` names the form field at fault, if any.

    Booking refusals also carry ``alternatives`` (free slots nearest to the
    one refused, ``{provider_id, start, end}`` with ISO UTC instants) and, for
    a series, ``occurrences`` (one ``{index, day, start, ok, reasons,
    alternatives}`` per date), so the screen can offer a way forward.
    """

    def __init__(
        self,
        message: str,
        field: str | None = None,
        errors: dict[str, str] | None = None,
        *,
        alternatives: list[dict[str, Any]] | None = None,
        occurrences: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.field = field
        self.errors = errors or ({field: message} if field else {})
        self.alternatives = list(alternatives or [])
        self.occurrences = list(occurrences or [])


LOCAL_ORIGIN = "local"  # what a workstation's own runs write as their origin


@dataclass(frozen=True)
class Context:
    """Who runs a mutation.  ``origin`` is written on the patient events it makes
    (the clinic server's client id, or LOCAL_ORIGIN on the workstation); ``own``
    names the origins whose edits this one was made on top of: a desk always
    sees its own earlier edits, so they never clash with its later ones."""

    actor: str
    mutation_id: int
    client_time: datetime
    origin: str = ""
    own: frozenset[str] = frozenset()


Mutation = Callable[[Session, dict[str, Any], Context], dict[str, Any]]
MUTATIONS: dict[str, Mutation] = {}


# Arguments that name a row: always a UUID (coordtui.ids.new_id), checked before any
# mutation runs, on the desk and on the server, wherever they sit in the arguments.
ID_ARGS = frozenset(
    {
        "absorbed_id", "appointment_id", "call_id", "callback_id", "check_id", "entry_id",
        "event_id", "exception_id", "hand_off_id", "new_appointment_id", "patient_id",
        "payment_id", "provider_id", "recall_id", "series_id", "survivor_id",
    }
)  # fmt: skip
ID_LIST_ARGS = frozenset({"appointment_ids", "event_ids"})


def check_ids(value: Any, depth: int = 0) -> None:
    """MutationError unless every id argument (ID_ARGS, ID_LIST_ARGS) is a UUID."""
    if depth > 6:
        raise MutationError("These arguments are nested too deeply.")
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        if key in ID_ARGS and item is not None and not is_uuid(item):
            raise MutationError(f"{key} is not a valid id.", field=str(key))
        if key in ID_LIST_ARGS and isinstance(item, list):
            if not all(is_uuid(i) for i in item):
                raise MutationError(f"{key} holds an invalid id.", field=str(key))
        elif isinstance(item, (dict, list)):
            check_ids(item, depth + 1)


def mutation(fn: Mutation) -> Mutation:
    """Register ``fn`` under its name; whoever runs it by name gets its ids checked."""

    def checked(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
        if not isinstance(args, dict):
            raise MutationError("A change's arguments are a JSON object.")
        check_ids(args)
        return fn(session, args, ctx)

    checked.__name__ = checked.__qualname__ = fn.__name__
    checked.__doc__ = fn.__doc__
    MUTATIONS[fn.__name__] = checked
    return fn
