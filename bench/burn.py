"""CPU burner: keep N cores busy, to run the tests the way a loaded CI machine does.

    python3 bench/burn.py [--processes N] [--seconds S]

N processes spin at normal priority (default: one per core) until the burner is
stopped (Ctrl+C, SIGTERM), S seconds have passed, or the process that started it
is gone.  Each spinner also checks now and then that the burner is still alive,
so even a burner killed with SIGKILL leaves nothing spinning behind.  Standard
library only: it runs before, and without, the project's environment.
`.ci/under-load` runs a command beside it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import time

CHECK_EVERY = 2_000_000  # loop turns between parent checks (well under a second)


def spin(parent: int, until: float | None) -> None:
    """Burn one core until the parent is gone or the time is up."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    n = 0
    while True:
        n += 1
        if n % CHECK_EVERY == 0:
            if os.getppid() != parent:
                os._exit(0)
            if until is not None and time.monotonic() >= until:
                os._exit(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--processes", "-j", type=int, default=os.cpu_count() or 1, help="default: cores"
    )
    parser.add_argument("--seconds", type=float, default=None, help="default: until stopped")
    args = parser.parse_args(argv)
    if args.processes < 1:
        parser.error("--processes must be at least 1")

    until = None if args.seconds is None else time.monotonic() + args.seconds
    parent = os.getpid()
    children = []
    for _ in range(args.processes):
        pid = os.fork()
        if pid == 0:
            spin(parent, until)
        children.append(pid)

    def stop() -> None:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for pid in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)

    def on_signal(_signum, _frame) -> None:
        stop()
        sys.exit(0)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, on_signal)
    print(f"burn: {len(children)} spinning processes (pid {parent})", file=sys.stderr, flush=True)
    starter = os.getppid()
    while until is None or time.monotonic() < until:
        time.sleep(0.5)
        if os.getppid() != starter:  # whoever started us is gone (even by SIGKILL)
            break
    stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
