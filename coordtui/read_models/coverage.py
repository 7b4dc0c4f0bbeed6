"""Coverage at check-in: what the arrival step and the patient card show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class LastCheck:
    """The patient's latest coverage verification."""

    at: datetime
    actor: str
    payer: str
    member_id: str


@dataclass(frozen=True)
class VisitCoverage:
    """A visit's coverage as the arrival step shows it.

    ``payer``/``member_id``/``copay_cents`` are the patient record's now;
    ``collected_cents`` is what was already taken for this visit (an arrival
    undone and done again must not ask twice).
    """

    appointment_id: str
    patient_id: str
    payer: str
    member_id: str
    copay_cents: int
    last_check: LastCheck | None
    collected_cents: int

    @property
    def on_file(self) -> bool:
        return bool(self.payer)

    @property
    def copay_left(self) -> int:
        """Copay still to collect at this visit: the prefilled amount."""
        return max(self.copay_cents - self.collected_cents, 0)
