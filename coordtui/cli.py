"""Command line: `coordtui [run|demo|seed|export|config] [--db PATH]`.

Imports stay inside the commands so `coordtui --help` and app start-up pay
only for what they use.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from coordtui import __version__


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db", type=Path, help="store file (default: COORDTUI_DB, else the data dir)"
    )

    parser = argparse.ArgumentParser(
        prog="coordtui",
        parents=[common],
        description="Keyboard-first front desk for clinics. With no command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"coordtui {__version__}")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", parents=[common], help="open the app (the default)")

    demo = sub.add_parser(
        "demo", parents=[common], help="build a fresh demo clinic in its own file and open it"
    )
    demo.add_argument("--no-app", action="store_true", help="only build the demo store")
    demo.add_argument("--seed", type=int, default=7, help="random seed (same seed, same clinic)")

    seed = sub.add_parser("seed", parents=[common], help="build a large store for testing")
    seed.add_argument("--patients", type=int, default=200_000)
    seed.add_argument("--days", type=int, default=1)
    seed.add_argument("--seed", type=int, default=11)
    seed.add_argument("--force", action="store_true", help="replace an existing file")

    export = sub.add_parser("export", parents=[common], help="export the store")
    export.add_argument("--format", choices=["fhir"], default="fhir")
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")

    config = sub.add_parser("config", parents=[common], help="where settings live")
    config_sub = config.add_subparsers(dest="config_command", required=True)
    config_sub.add_parser("path", help="print the config file path")
    config_sub.add_parser("init", help="write a commented config file if there is none")
    config_sub.add_parser("show", help="print the settings in effect")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from coordtui.config import ConfigError, load

    try:
        config = load()
    except ConfigError as exc:
        print(f"coordtui: {exc}", file=sys.stderr)
        return 2
    if args.db:
        config.db = args.db
    command = args.command or "run"
    handler = {
        "run": _run,
        "demo": _demo,
        "seed": _seed,
        "export": _export,
        "config": _config,
    }[command]
    try:
        return handler(args, config)
    except KeyboardInterrupt:
        return 130


def _run(args, config) -> int:
    from coordtui.store.files import NewerDatabaseError

    path = config.db_path
    if not path.exists():
        print(
            f"coordtui: no store at {path}.\n"
            "  Try the demo clinic:  uv run coordtui demo\n"
            "  or point at a store:  coordtui --db PATH (or COORDTUI_DB=PATH)",
            file=sys.stderr,
        )
        return 2
    try:
        return _open_app(path, config)
    except NewerDatabaseError as exc:
        print(f"coordtui: {exc}", file=sys.stderr)
        return 2


def _open_app(path: Path, config) -> int:
    from coordtui.app import CoordApp
    from coordtui.service import Service

    service = Service(path, actor=config.user)
    if not service.reads.clinic():
        print(
            f"coordtui: {path} has no clinic yet; run `coordtui demo` to try the app.",
            file=sys.stderr,
        )
        return 2
    try:
        CoordApp(service, config).run()
    finally:
        service.close()
    return 0


def _demo(args, config) -> int:
    from coordtui.config import demo_db_path
    from coordtui.demo import generate_demo

    path = args.db or (
        Path(os.environ["COORDTUI_DB"]) if os.environ.get("COORDTUI_DB") else demo_db_path()
    )
    if not _is_demo_or_absent(path):
        print(
            f"coordtui: {path} is not a demo store; refusing to replace it. "
            "Pick another file with --db.",
            file=sys.stderr,
        )
        return 2
    summary = generate_demo(path, seed=args.seed)
    print(
        f"Demo clinic: {summary.providers} providers, {summary.patients} patients, "
        f"{summary.appointments_today} appointments today in {path}",
        file=sys.stderr,
    )
    if args.no_app:
        return 0
    return _open_app(path, config)


def _is_demo_or_absent(path: Path) -> bool:
    """`demo` rebuilds its file; never let COORDTUI_DB point it at a real store."""
    if not path.exists() or path.stat().st_size == 0:
        return True
    import sqlite3

    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'demo'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return bool(row and row[0] == "1")


def _seed(args, config) -> int:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from coordtui.demo import seed_store

    path = config.db_path
    if path.exists() and path.stat().st_size > 0 and not args.force:
        print(f"coordtui: {path} exists; add --force to replace it.", file=sys.stderr)
        return 2
    if args.patients < 1 or args.days < 1:
        print("coordtui: --patients and --days must be at least 1.", file=sys.stderr)
        return 2
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,}"),
        TimeElapsedColumn(),
        transient=False,
    ) as progress:
        tasks: dict[str, int] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        summary = seed_store(path, args.patients, args.days, seed=args.seed, progress=report)
    print(f"Seeded {path}: {summary}", file=sys.stderr)
    return 0


def _export(args, config) -> int:
    from coordtui.interop.fhir import export_bundle

    path = config.db_path
    if not path.exists():
        print(f"coordtui: no store at {path}.", file=sys.stderr)
        return 2
    text = export_bundle(path)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        os.chmod(args.out, 0o600)
        print(f"Wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _config(args, config) -> int:
    from coordtui.config import SAMPLE, config_path

    path = config_path()
    if args.config_command == "path":
        print(path)
    elif args.config_command == "init":
        if path.exists():
            print(f"{path} already exists.", file=sys.stderr)
            return 1
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(SAMPLE)
        print(path)
    else:
        for key, value in vars(config).items():
            print(f"{key} = {value!r}")
        print(f"db_path = {str(config.db_path)!r}")
    return 0
