"""Deterministic ids for generated rows: a pure function of (seed, table, index).

The demo and the seeder must write byte-for-byte identical stores for a seed,
and the seeder must not hold a million patient ids in memory; a counter-based
generator gives both.
"""

from __future__ import annotations

from datetime import UTC, datetime

_M64 = (1 << 64) - 1

# Id streams: one per table, so ids never collide across tables.
S_CLINIC, S_PROVIDER, S_PATIENT, S_APPT, S_EVENT, S_CHECK = 1, 2, 3, 4, 5, 6


def _mix64(x: int) -> int:
    """splitmix64 finaliser: a fast, well-spread 64-bit hash of a counter."""
    x = (x + 0x9E3779B97F4A7C15) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


class Ids:
    """Deterministic UUIDv7-shaped ids: ``id(stream, n)`` is a pure function.

    The 48-bit time field is ``base + n`` milliseconds, so ids of one table
    increase with ``n`` (B-tree appends, like coordtui.ids); rand_a holds the
    stream (unique across tables) and rand_b a hash of (seed, stream, n).
    Being a pure function, a patient's id can be recomputed from its index
    instead of keeping a million strings in memory.
    """

    def __init__(self, seed: int, base: datetime) -> None:
        self._key = _mix64(seed & _M64)
        self._base_ms = int(base.replace(tzinfo=UTC).timestamp() * 1000)

    def __call__(self, stream: int, n: int) -> str:
        ms = (self._base_ms + n) & ((1 << 48) - 1)
        rand = _mix64(self._key ^ (stream << 56) ^ n) >> 2  # 62 bits
        value = (ms << 80) | (0x7 << 76) | ((stream & 0xFFF) << 64) | (0b10 << 62) | rand
        h = f"{value:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
