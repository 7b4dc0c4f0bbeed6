"""Command line for the clinic server and a workstation's sync.

`coordtui server [--database-url URL] [--host H] [--port P]` runs the server;
`coordtui server enroll|revoke|clients` manage workstations;
`coordtui connect URL CODE` enrols this workstation and bootstraps its store;
`coordtui sync` runs one round.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def add_parsers(sub, common: argparse.ArgumentParser) -> None:
    url = argparse.ArgumentParser(add_help=False)
    url.add_argument(
        "--database-url",
        default=argparse.SUPPRESS,
        help="postgresql://user@host/db, or a SQLite file path "
        "(default: COORDTUI_DATABASE_URL, else server.db in the data dir)",
    )
    server = sub.add_parser("server", parents=[url], help="run the clinic server (FastAPI)")
    server.add_argument("--host", default="127.0.0.1")
    server.add_argument("--port", type=int, default=8765)
    server.add_argument("--ssl-certfile", help="TLS certificate (PEM)")
    server.add_argument("--ssl-keyfile", help="TLS private key (PEM)")
    server.add_argument(
        "--trusted-network",
        action="store_true",
        help="serve plain HTTP off loopback (tokens and patient data unencrypted): only on "
        "a network nobody else can read, e.g. behind a TLS proxy on the same machine",
    )
    server.add_argument(
        "--baseline", type=Path, help="load a workstation store's data into an empty server"
    )
    server.add_argument("--demo", action="store_true", help="start an empty server with demo data")
    server_sub = server.add_subparsers(dest="server_command")
    enroll = server_sub.add_parser("enroll", parents=[url], help="print a one-time enrolment code")
    enroll.add_argument("--hours", type=int, default=24, help="how long the code stays valid")
    revoke = server_sub.add_parser("revoke", parents=[url], help="revoke a workstation's token")
    revoke.add_argument("client_id")
    server_sub.add_parser("clients", parents=[url], help="list enrolled workstations")

    connect = sub.add_parser(
        "connect", parents=[common], help="enrol this workstation with a clinic server"
    )
    connect.add_argument("url", help="e.g. https://clinic-server:8765")
    connect.add_argument("code", help="the code `coordtui server enroll` printed")
    connect.add_argument("--name", default="", help="this workstation's name (default: host name)")
    connect.add_argument("--ca", type=Path, help="the clinic's CA certificate to trust (pinning)")
    connect.add_argument(
        "--trusted-network",
        action="store_true",
        help="allow an http:// server that is not on this machine (unencrypted)",
    )
    sub.add_parser("sync", parents=[common], help="run one sync round with the clinic server")


def _url(args) -> str:
    """--database-url, else COORDTUI_DATABASE_URL, else server.db in the data directory
    (COORDTUI_DATA_DIR when set, like every other file coordtui keeps)."""
    from coordtui.config import data_dir
    from coordtui.server.schema import database_url

    given = getattr(args, "database_url", None) or os.environ.get("COORDTUI_DATABASE_URL")
    return database_url(given, data_dir())


def is_loopback(host: str) -> bool:
    """This machine only: 127.0.0.0/8, ::1 or "localhost" (not a name that may resolve
    elsewhere, not 0.0.0.0, which means every interface)."""
    import ipaddress

    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _shown(url: str) -> str:
    """The database for people to read: a SQLite file's path, or the URL without its password."""
    if url.startswith("sqlite:///"):
        return url.removeprefix("sqlite:///")
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def server(args, config) -> int:
    from coordtui.server import enrolment
    from coordtui.server.schema import create_schema, make_engines

    url = _url(args)
    command = getattr(args, "server_command", None)
    writer, _ = make_engines(url)
    create_schema(writer)
    if command == "enroll":
        try:
            print(enrolment.make_enrol_code(writer, args.hours))
        except ValueError as exc:
            print(f"coordtui: {exc}", file=sys.stderr)
            return 2
        return 0
    if command == "revoke":
        if enrolment.revoke(writer, args.client_id):
            print(f"Revoked {args.client_id}.", file=sys.stderr)
            return 0
        print(f"coordtui: no active workstation {args.client_id}.", file=sys.stderr)
        return 2
    if command == "clients":
        for c in enrolment.clients(writer):
            state = "revoked" if c["revoked_at"] else "active"
            # An enrolment that never synced: its answer may have been lost (a desk
            # that asked again has it now) or nobody finished setting the desk up.
            seen = f"seen {c['last_seen']:%Y-%m-%d %H:%M}" if c["last_seen"] else "never synced"
            print(
                f"{c['client_id']}  {state:8} last={c['last_mutation_id']:<6} "
                f"{seen:<22} {c['name']}"
            )
        return 0
    if not args.ssl_certfile and not is_loopback(args.host) and not args.trusted_network:
        print(
            f"coordtui: refusing to serve plain HTTP on {args.host}: device tokens and "
            "patient data would cross the network unencrypted. Give --ssl-certfile and "
            "--ssl-keyfile (see README, 'The clinic's certificate'), or --trusted-network "
            "if this network is private to the server.",
            file=sys.stderr,
        )
        return 2
    if args.baseline or args.demo:
        code = _baseline(writer, args)
        if code:
            return code
    writer.dispose()
    return _serve(url, args)


def _baseline(writer, args) -> int:
    import tempfile

    from coordtui.server.baseline import load_baseline
    from coordtui.store.db import open_store

    with tempfile.TemporaryDirectory() as tmp:
        path = args.baseline
        if args.demo:
            from coordtui.demo.clinic import generate_demo

            path = Path(tmp) / "demo.db"
            generate_demo(path)
        if not path.exists():
            print(f"coordtui: no store at {path}.", file=sys.stderr)
            return 2
        source = open_store(path)
        try:
            copied = load_baseline(writer, source)
        except ValueError as exc:
            print(f"coordtui: {exc}", file=sys.stderr)
            return 2 if args.baseline else 0
        finally:
            source.dispose()
    print(f"Loaded {copied} rows into the server.", file=sys.stderr)
    return 0


def _serve(url: str, args) -> int:
    import logging

    import uvicorn

    from coordtui.server.app import create_app

    class Server(uvicorn.Server):
        """Says where it listens once the socket is bound (uvicorn's own line is at info level,
        which also logs every connection; a port in use ends the start-up before this)."""

        async def startup(self, sockets=None) -> None:
            await super().startup(sockets)
            if self.should_exit:
                return
            port = self.servers[0].sockets[0].getsockname()[1]  # the real one if --port 0
            host = f"[{args.host}]" if ":" in args.host else args.host
            scheme = "https" if args.ssl_certfile else "http"
            print(
                f"coordtui server listening on {scheme}://{host}:{port}  "
                f"(database: {_shown(url)}; Ctrl+C stops it)",
                file=sys.stderr,
                flush=True,
            )

    events = logging.getLogger("coordtui.server")
    if not events.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s coordtui server: %(message)s"))
        events.addHandler(handler)
        events.setLevel(logging.INFO)
        events.propagate = False
    if not args.ssl_certfile and not is_loopback(args.host):
        events.warning(
            "serving plain HTTP on %s (--trusted-network): tokens and patient data are "
            "not encrypted on this network",
            args.host,
        )
    config = uvicorn.Config(
        create_app(url),
        host=args.host,
        port=args.port,
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
        log_level="warning",
        access_log=False,  # paths only would be safe, but quiet is kinder on slow disks
        timeout_keep_alive=30,
    )
    server = Server(config)
    server.run()
    return 0 if server.started else 1  # uvicorn has said why (port in use, bad certificate)


def _client(config):
    from coordtui.store.db import open_store
    from coordtui.sync.client import SyncClient

    engine = open_store(config.db_path)
    return engine, SyncClient(engine, config.db_path, history_days=config.history_days)


def connect(args, config) -> int:
    import socket
    from urllib.parse import urlsplit

    from coordtui.sync.client import SyncError

    target = urlsplit(args.url)
    if target.scheme not in ("http", "https") or not target.hostname:
        print(f"coordtui: {args.url!r} is not an http:// or https:// address.", file=sys.stderr)
        return 2
    if target.scheme == "http" and not is_loopback(target.hostname):
        print(
            f"coordtui: warning: {target.hostname} is reached over plain HTTP: this "
            "workstation's token and patient data would cross the network unencrypted.",
            file=sys.stderr,
        )
        if not args.trusted_network:
            print(
                "coordtui: use https:// (with --ca for the clinic's certificate), or "
                "--trusted-network if this network is private.",
                file=sys.stderr,
            )
            return 2
    engine, client = _client(config)
    try:
        client_id = client.enrol(
            args.url, args.code, args.name or socket.gethostname(), str(args.ca or "") or None
        )
        print(f"Enrolled as {client_id}; fetching the clinic's data...", file=sys.stderr)
        report = client.round(progress=_progress)
        print(f"\nUp to date: {report.rows} rows.", file=sys.stderr)
        return 0
    except SyncError as exc:
        print(f"coordtui: {exc}", file=sys.stderr)
        return 1
    finally:
        client.close()
        engine.dispose()


def _progress(done: int, remaining: int | None) -> None:
    left = f", {remaining} to go" if remaining is not None else ""
    print(f"\r  {done} rows{left}   ", end="", file=sys.stderr, flush=True)


def sync(args, config) -> int:
    from coordtui.sync.client import SyncError

    if not config.db_path.exists():
        print(f"coordtui: no store at {config.db_path}.", file=sys.stderr)
        return 2
    engine, client = _client(config)
    try:
        report = client.round()
    except SyncError as exc:
        print(f"coordtui: sync failed: {exc}", file=sys.stderr)
        return 1
    finally:
        client.close()
        engine.dispose()
    print(
        f"Pushed {report.pushed} ({report.rejected} refused), pulled {report.rows} rows; "
        f"{report.conflicts} new conflicts.",
        file=sys.stderr,
    )
    return 0
