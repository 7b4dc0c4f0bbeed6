"""Acceptance: SIGKILL at random moments loses nothing that was reported committed.

A forked child makes status changes through the real Service and reports each
one on a pipe only after the call returned (i.e. after COMMIT).  The parent
kills it with SIGKILL after a random delay, 50 times, then checks the file.
Half the arrivals are check-ins with coverage verified and a copay: those three
rows and the outbox entry must stand or fall together.
"""

from __future__ import annotations

import json
import os
import random
import select
import signal
import sqlite3
import time
from datetime import timedelta

from coordtui.domain.status import TRANSITIONS, Status

KILLS = 50
NEXT = {Status.BOOKED: "arrived", Status.ARRIVED: "in_room", Status.IN_ROOM: "done"}


def _child(db_path, write_fd: int, seed: int) -> None:
    from coordtui.mutations import MutationError
    from coordtui.service import Service

    rng = random.Random(seed)
    svc = Service(db_path, actor="crash")
    svc.warm_up()
    os.write(write_fd, b"ready\n")
    rows = svc.queue(svc.today())
    while True:
        row = rng.choice(rows)
        current = svc.queue_row(row.id)
        try:
            if current.status == Status.BOOKED and rng.random() < 0.4:
                result = svc.check_in(row.id, svc.visit_coverage(row.id), 2000, "cash")
            elif current.status in NEXT and rng.random() < 0.8:
                result = svc.set_status(row.id, NEXT[Status(current.status)])
            else:
                result = svc.undo_status(row.id)
        except MutationError:
            continue
        os.write(write_fd, f"committed {result['mutation_id']}\n".encode())


def _run_once(db_path, seed: int) -> set[int]:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_fd)
        try:
            _child(db_path, write_fd, seed)
        finally:
            os._exit(0)
    os.close(write_fd)
    buffer = b""
    deadline = time.monotonic() + 30
    # Killed at a random moment after its first commit: on a loaded machine the child
    # may need longer than the random delay to make one, and a kill before any commit
    # would test nothing.
    while b"committed " not in buffer and time.monotonic() < deadline:
        ready, _, _ = select.select([read_fd], [], [], 1)
        if ready:
            buffer += os.read(read_fd, 65536)
    time.sleep(random.Random(seed).uniform(0.0, 0.25))
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    while chunk := os.read(read_fd, 65536):
        buffer += chunk
    os.close(read_fd)
    return {
        int(line.split()[1])
        for line in buffer.decode().splitlines()
        if line.startswith("committed ")
    }


def test_kill_minus_nine_fifty_times_loses_nothing(builder, db_path):
    dr = builder.provider("Dr Okafor")
    for i in range(40):
        pat = builder.patient(f"P{i}", "Crash", payer="Acme", member_id=f"A{i}", copay_cents=2000)
        builder.appointment(pat, dr, start=builder.now + timedelta(minutes=i))
    builder.close()

    reported: set[int] = set()
    for attempt in range(KILLS):
        reported |= _run_once(db_path, seed=attempt)
    assert len(reported) >= KILLS  # the child really did work before each kill

    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    outbox = {r[0] for r in conn.execute("SELECT mutation_id FROM outbox")}
    assert reported <= outbox, "a change reported as committed is missing"
    events = [
        r[0] for r in conn.execute("SELECT mutation_id FROM status_event WHERE mutation_id > 0")
    ]
    # one status event per status mutation, and every event has its outbox entry
    assert len(events) == len(set(events))
    assert set(events) == outbox
    # a check-in's coverage check and copay exist iff its outbox entry does
    check_ins = [
        json.loads(args)
        for (args,) in conn.execute("SELECT args FROM outbox WHERE name = ?", ("check_in",))
    ]
    assert check_ins, "the child never checked anyone in"
    checks = {r[0] for r in conn.execute("SELECT id FROM coverage_check")}
    copays = {r[0] for r in conn.execute("SELECT id FROM copay_payment")}
    assert checks == {a["coverage"]["check_id"] for a in check_ins}
    assert copays == {a["copay"]["payment_id"] for a in check_ins}
    # every appointment's status is what its history says
    for appt, status in conn.execute("SELECT id, status FROM appointment"):
        last = conn.execute(
            "SELECT to_status FROM status_event WHERE appointment_id = ? "
            "ORDER BY mutation_id DESC LIMIT 1",
            (appt,),
        ).fetchone()
        assert (last[0] if last else "booked") == status
        assert Status(status) in TRANSITIONS
    conn.close()
