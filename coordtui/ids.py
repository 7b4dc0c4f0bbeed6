"""Client-made, time-ordered identifiers (UUID v7 layout).

Ids are made on the workstation so that a mutation replayed on the clinic
server creates exactly the same rows; the time prefix keeps B-tree inserts
append-mostly.
"""

from __future__ import annotations

import os
import time
import uuid


def new_id() -> str:
    """Return a UUIDv7-style id as a 36-character string."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version 7
    value |= ((rand >> 62) & 0xFFF) << 64  # rand_a (12 bits)
    value |= 0b10 << 62  # RFC 4122 variant
    value |= rand & ((1 << 62) - 1)  # rand_b
    return str(uuid.UUID(int=value))


def is_uuid(value: object) -> bool:
    """A UUID in its canonical text form (36 characters, lower-case hex and hyphens).

    Every id a mutation names is one: made here by ``new_id``, checked on the
    desk and again on the server, so no other text becomes a key anywhere.
    """
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False
