"""Random draws shared by the generators: an index from a cumulative weight table.

Names, patients, visit types and seeded providers all draw this way; it is
faster than ``rng.choices`` per call, which matters at a million rows.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Sequence


def pick_cum(rng: random.Random, cum: Sequence[float]) -> int:
    """Index drawn from a cumulative weight table (faster than rng.choices per call)."""
    return bisect.bisect_right(cum, rng.random() * cum[-1])
