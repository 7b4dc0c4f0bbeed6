"""Command line: `coordtui [run|demo|seed|export|import|search|report|config|server|connect|sync]`.

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
    # SUPPRESS: a subcommand's copy of --db must not overwrite one given before it
    # (`coordtui --db X export` and `coordtui export --db X` both work).
    common.add_argument(
        "--db",
        type=Path,
        default=argparse.SUPPRESS,
        help="store file (default: COORDTUI_DB, else the data dir)",
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

    imp = sub.add_parser(
        "import", parents=[common], help="register patients from a CSV file or a FHIR Bundle"
    )
    imp.add_argument("file", type=Path, help=".csv with a header line, or .json FHIR Bundle")

    search = sub.add_parser(
        "search", parents=[common], help="find patients by name, DOB, phone or record number"
    )
    search.add_argument("query", nargs="+", help="e.g. smith jo, 1980-03-14, 0101, S0101")
    search.add_argument("--json", action="store_true", help="stable JSON for scripts")
    search.add_argument("--limit", type=int, default=20, help="results per page (1-500)")
    search.add_argument("--offset", type=int, default=0, help="results to skip (paging)")

    # --db is accepted before or after the command words; SUPPRESS keeps a
    # --db given before `report` from being reset by the subcommand's default.
    db_anywhere = argparse.ArgumentParser(add_help=False)
    db_anywhere.add_argument("--db", type=Path, default=argparse.SUPPRESS, help="store file")
    report = sub.add_parser("report", parents=[db_anywhere], help="reports for the day's work")
    report_sub = report.add_subparsers(dest="report_command", required=True)
    day = report_sub.add_parser(
        "day", parents=[db_anywhere], help="booked, seen, no-shows, waits per provider; calls"
    )
    day.add_argument("--date", help="YYYY-MM-DD, clinic-local (default: today)")
    day.add_argument("--csv", action="store_true", help="CSV on standard output")

    config = sub.add_parser("config", parents=[common], help="where settings live")
    config_sub = config.add_subparsers(dest="config_command", required=True)
    config_sub.add_parser("path", help="print the config file path")
    config_sub.add_parser("init", help="write a commented config file if there is none")
    config_sub.add_parser("show", help="print the settings in effect")
    from coordtui import cli_sync

    cli_sync.add_parsers(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from coordtui.config import ConfigError, load

    try:
        config = load()
    except ConfigError as exc:
        print(f"coordtui: {exc}", file=sys.stderr)
        return 2
    args.db = getattr(args, "db", None)
    if args.db:
        config.db = args.db
    command = args.command or "run"
    handler = {
        "run": _run,
        "demo": _demo,
        "seed": _seed,
        "export": _export,
        "import": _import,
        "search": _search,
        "report": _report,
        "config": _config,
        "server": _server,
        "connect": _connect,
        "sync": _sync,
    }[command]
    try:
        return handler(args, config)
    except KeyboardInterrupt:
        return 130


def _server(args, config) -> int:
    from coordtui import cli_sync

    return cli_sync.server(args, config)


def _connect(args, config) -> int:
    from coordtui import cli_sync

    return cli_sync.connect(args, config)


def _sync(args, config) -> int:
    from coordtui import cli_sync

    return cli_sync.sync(args, config)


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


def _open_app(path: Path, config, clock=None) -> int:
    """The app on ``path``: on the real clock, unless the demo hands in its own."""
    from coordtui.app import CoordApp
    from coordtui.service import Service

    service = Service(path, actor=config.user, clock=clock)  # the app applies config.date_order
    service.allow_empty_resolved_note = config.allow_empty_resolved_note
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
    from zoneinfo import ZoneInfo

    from coordtui.clock import clock_label
    from coordtui.config import demo_db_path
    from coordtui.demo.clinic import DEFAULT_TIMEZONE, demo_clock, generate_demo

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
    clock = demo_clock()  # mid-day in the demo clinic's zone, whatever the hour here
    summary = generate_demo(path, now=clock(), seed=args.seed)
    print(
        f"Demo clinic: {summary.providers} providers, {summary.patients} patients, "
        f"{summary.appointments_today} appointments today in {path}",
        file=sys.stderr,
    )
    if clock_label(clock):
        wall = clock().astimezone(ZoneInfo(DEFAULT_TIMEZONE))
        print(
            f"The demo clinic ({DEFAULT_TIMEZONE}) is not at mid-day now, so the app runs "
            f"on a {clock_label(clock)}: {wall:%H:%M} there, ticking live.",
            file=sys.stderr,
        )
    if args.no_app:
        return 0
    return _open_app(path, config, clock)


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

    from coordtui.demo.seed import seed_store

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
        # Owner-only from the first byte: created 0600, or made 0600 before it is emptied.
        fd = os.open(args.out, os.O_WRONLY | os.O_CREAT, 0o600)
        os.fchmod(fd, 0o600)
        os.ftruncate(fd, 0)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        print(f"Wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _import(args, config) -> int:
    """Exit 0: all rows in (or already there); 1: some rows failed; 2: nothing could start."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from coordtui.domain.text import clean
    from coordtui.interop.importer import ImportAborted, import_file, iter_failures

    service = _store_service(config, "import adds to an existing store")
    if isinstance(service, int):
        return service
    try:
        with Progress(
            TextColumn("importing"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
        ) as bar:
            tasks: list = []  # the bar appears once the file has been read

            def report_progress(done: int, total: int) -> None:
                if not tasks:
                    tasks.append(bar.add_task("import", total=total))
                bar.update(tasks[0], completed=done, total=total)

            report = import_file(service, args.file, report_progress)
    except ImportAborted as exc:
        print(f"coordtui: {clean(args.file)}: {exc}", file=sys.stderr)
        return 2
    finally:
        service.close()
    if report.ignored_columns:
        print(f"Ignored columns: {', '.join(report.ignored_columns)}", file=sys.stderr)
    for line in iter_failures(report):
        print(line, file=sys.stderr)
    skipped = f", {report.skipped} other entries skipped" if report.skipped else ""
    print(
        f"Imported {report.imported} of {report.total} patients, "
        f"{report.already_present} already present, {len(report.failed)} failed{skipped}."
    )
    return 1 if report.failed else 0


def _search(args, config) -> int:
    """Exit 0 with results, 1 with none, 2 on bad usage or no store."""
    query = " ".join(args.query).strip()
    if not query:
        print("coordtui: give a name, DOB, phone or record number to search.", file=sys.stderr)
        return 2
    if not 1 <= args.limit <= 500 or args.offset < 0:
        print("coordtui: --limit must be 1-500 and --offset 0 or more.", file=sys.stderr)
        return 2
    service = _store_service(config)
    if isinstance(service, int):
        return service
    try:
        today, zone, clinic = service.today(), service.zone, service.clinic
        hits = service.search_patients(query, args.limit, args.offset)
    finally:
        service.close()
    if args.json:
        sys.stdout.write(_hits_json(hits))
    elif hits:
        _print_hits(hits, today, zone, clinic.phone_region, args.limit, args.offset)
    if not hits:
        print("No patients match.", file=sys.stderr)
        return 1
    return 0


def _store_service(config, why: str = ""):
    """The store's Service (migrated if older), or an exit code after saying what is wrong."""
    from coordtui.service import Service
    from coordtui.store.files import NewerDatabaseError

    path = config.db_path
    if not path.exists():
        print(f"coordtui: no store at {path}{'; ' + why if why else ''}.", file=sys.stderr)
        return 2
    try:
        service = Service(path, actor=config.user, date_order=config.date_order)
        service.history_days = config.history_days
    except NewerDatabaseError as exc:
        print(f"coordtui: {exc}", file=sys.stderr)
        return 2
    if service.reads.clinic() is None:
        service.close()
        print(f"coordtui: {path} has no clinic yet.", file=sys.stderr)
        return 2
    return service


def _hits_json(hits) -> str:
    """Fixed keys in a fixed order, names exactly as stored: data for scripts.

    UTF-8 stays readable (ensure_ascii=False), but DEL, C1 and bidi controls
    are written as \\u escapes like C0 ones: the parsed value is unchanged and
    the raw characters never reach a terminal showing the JSON.
    """
    import json
    import re

    out = [
        {
            "patient_id": h.patient_id,
            "record_number": h.record_number,
            "given_name": h.given_name,
            "family_name": h.family_name,
            "preferred_name": h.preferred_name or "",
            "dob": _iso_date(h.dob),
            "phone": h.phone or "",
            "next_appointment": _utc_z(h.next_appointment),
            "score": round(h.score, 3) if isinstance(h.score, float) else h.score,
            "matched": list(h.matched or ()),
        }
        for h in hits
    ]
    text = json.dumps(out, ensure_ascii=False, indent=2) + "\n"
    return re.sub(
        "[\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]",
        lambda m: f"\\u{ord(m.group()):04x}",
        text,
    )


def _iso_date(value) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else value.isoformat()


def _utc_z(value) -> str | None:
    """ISO 8601 UTC with 'Z', to the second."""
    from coordtui.domain.days import as_utc

    moment = as_utc(value)
    return None if moment is None else moment.replace(tzinfo=None).isoformat("T", "seconds") + "Z"


def _print_hits(hits, today, zone, region, limit: int, offset: int) -> None:
    from rich.console import Console
    from rich.text import Text

    from coordtui.cli_tables import print_hits

    console = Console(highlight=False, soft_wrap=False)
    print_hits(hits, today, zone, region, console)
    if len(hits) == limit:
        console.print(Text(f"More may match: add --offset {offset + limit}."))


def _report(args, config) -> int:
    """Day summary: counts and waits per provider, no patient names (safe to share)."""
    from datetime import date

    service = _store_service(config)
    if isinstance(service, int):
        return service
    try:
        try:
            day = date.fromisoformat(args.date) if args.date else service.today()
        except ValueError:
            print(f"coordtui: --date {args.date!r} is not YYYY-MM-DD.", file=sys.stderr)
            return 2
        summary = service.day_summary(day)
    finally:
        service.close()
    if args.csv:
        sys.stdout.write(_summary_csv(day, summary))
    else:
        _print_summary(day, summary)
    return 0


_SUMMARY_COLUMNS = (
    "date", "provider", "booked", "arrived", "seen", "no_show", "cancelled", "no_show_rate",
    "avg_wait_min", "max_wait_min", "calls_logged", "callbacks_outstanding",
)  # fmt: skip


def _summary_rows(day, summary) -> list[list[str]]:
    """One row per provider, then the total with the day's call figures."""

    def num(value) -> str:
        return "" if value is None else f"{value:g}"

    rows = []
    for r in (*summary.providers, summary.total):
        last = r is summary.total
        rows.append(
            [
                day.isoformat(),
                r.provider,
                str(r.booked),
                str(r.arrived),
                str(r.seen),
                str(r.no_show),
                str(r.cancelled),
                num(r.no_show_rate),
                num(r.avg_wait),
                num(r.max_wait),
                str(summary.calls_logged) if last else "",
                str(summary.callbacks_outstanding) if last else "",
            ]  # fmt: skip
        )
    return rows


def _summary_csv(day, summary) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_SUMMARY_COLUMNS)
    writer.writerows(_summary_rows(day, summary))
    return out.getvalue()


def _print_summary(day, summary) -> None:
    from rich.console import Console
    from rich.text import Text

    from coordtui.cli_tables import print_summary

    console = Console(highlight=False, soft_wrap=False)
    print_summary(day, [row[1:7] + row[8:10] for row in _summary_rows(day, summary)], console)
    console.print(
        Text(
            f"Calls logged: {summary.calls_logged}   "
            f"Callbacks outstanding: {summary.callbacks_outstanding} "
            f"({summary.callbacks_overdue} overdue)"
        )
    )


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
