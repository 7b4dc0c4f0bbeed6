#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for the tests (CI and developer machines).
#
#   bash .ci/postgres.sh install        # apt-get install PostgreSQL if its binaries are missing (root)
#   bash .ci/postgres.sh start [DIR]    # init + start a cluster in DIR (default: a new temp dir);
#                                       # prints ONE line on stdout: the SQLAlchemy URL
#   bash .ci/postgres.sh stop DIR       # stop the cluster started in DIR and delete DIR
#
# The cluster listens on 127.0.0.1 only, on a free port, with fsync off.  Its
# superuser is "coordtui" with a random password (scram-sha-256 over TCP); the
# database "coordtui_test" is created with the btree_gist extension.  start also
# writes the URL to DIR/url.  Logs go to DIR/postgres.log; all messages go to stderr.
#
# initdb and pg_ctl refuse to run as root: as root, the cluster runs as the system
# user $COORDTUI_PG_USER (default coordtui-pg, created if missing) and DIR is chowned
# to it.  As any other user it runs as that user.
#
# Exit codes: 0 ok, 2 usage, 3 PostgreSQL (or btree_gist) not available here,
# 1 anything else.  Environment: PG_BINDIR overrides where initdb/pg_ctl/psql are looked for.
set -euo pipefail

PG_VERSION=15
PG_OS_USER="${COORDTUI_PG_USER:-coordtui-pg}"
DB_USER=coordtui
DB_NAME=coordtui_test

log() { printf 'postgres.sh: %s\n' "$*" >&2; }
die() {
    local code=$1
    shift
    log "error: $*"
    exit "$code"
}

find_bindir() {
    local d
    if [[ -n "${PG_BINDIR:-}" ]]; then
        [[ -x "$PG_BINDIR/initdb" && -x "$PG_BINDIR/pg_ctl" ]] && { echo "$PG_BINDIR"; return 0; }
        return 1
    fi
    if [[ -x "/usr/lib/postgresql/$PG_VERSION/bin/initdb" ]]; then
        echo "/usr/lib/postgresql/$PG_VERSION/bin"
        return 0
    fi
    # Another Debian major version, newest first.
    local v
    for v in $(printf '%s\n' /usr/lib/postgresql/*/bin/initdb | cut -d/ -f5 | sort -rn); do
        d="/usr/lib/postgresql/$v/bin"
        [[ -x "$d/initdb" && -x "$d/pg_ctl" ]] && { echo "$d"; return 0; }
    done
    # Homebrew, Fedora, ...: initdb on PATH.
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
        return 0
    fi
    return 1
}

cmd_install() {
    if find_bindir >/dev/null; then
        log "PostgreSQL binaries present in $(find_bindir)"
        return 0
    fi
    [[ $(id -u) -eq 0 ]] || die 1 "PostgreSQL is not installed and installing it needs root"
    command -v apt-get >/dev/null 2>&1 || die 1 "PostgreSQL is not installed and apt-get is not available"
    log "installing postgresql-$PG_VERSION and postgresql-contrib with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "postgresql-$PG_VERSION" postgresql-contrib >&2
    find_bindir >/dev/null || die 1 "apt-get finished but initdb/pg_ctl are still missing"
    log "PostgreSQL installed in $(find_bindir)"
}

free_port() {
    local p
    if p=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])' 2>/dev/null); then
        echo "$p"
    else
        echo $((20000 + RANDOM % 30000))
    fi
}

# Run a command as the cluster's OS user (root) or as ourselves (anyone else).
as_pg() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u "$PG_OS_USER" -- "$@"
    else
        "$@"
    fi
}

ensure_os_user() {
    [[ $(id -u) -eq 0 ]] || return 0
    if ! id -u "$PG_OS_USER" >/dev/null 2>&1; then
        log "creating system user $PG_OS_USER"
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
            --user-group "$PG_OS_USER" >&2 ||
            die 1 "could not create system user $PG_OS_USER"
    fi
    command -v runuser >/dev/null 2>&1 || die 1 "runuser (util-linux) is needed to run PostgreSQL as root"
}

cmd_start() {
    local dir="${1:-}" bindir port password url attempt started=0
    bindir=$(find_bindir) || die 3 "PostgreSQL binaries (initdb, pg_ctl) not found; install postgresql-$PG_VERSION (e.g. 'bash .ci/postgres.sh install' as root) or set PG_BINDIR"
    [[ -x "$bindir/psql" ]] || die 3 "psql not found in $bindir"
    local sharedir
    sharedir=$("$bindir/pg_config" --sharedir 2>/dev/null || echo "/usr/share/postgresql/$PG_VERSION")
    [[ -f "$sharedir/extension/btree_gist.control" ]] ||
        die 3 "btree_gist extension not found in $sharedir/extension (install postgresql-contrib)"

    if [[ -z "$dir" ]]; then
        dir=$(mktemp -d "${TMPDIR:-/tmp}/coordtui-pg.XXXXXX")
    else
        mkdir -p "$dir"
        [[ -z "$(ls -A "$dir")" ]] || die 1 "$dir is not empty"
    fi
    dir=$(cd "$dir" && pwd)
    # The unix socket path must stay under ~107 bytes.
    ((${#dir} < 80)) || die 1 "directory path too long for a unix socket: $dir"

    ensure_os_user
    chmod 700 "$dir"
    if [[ $(id -u) -eq 0 ]]; then
        chown "$PG_OS_USER:" "$dir"
        # The OS user must be able to reach DIR through its parents (e.g. /tmp is fine).
        as_pg test -w "$dir" || die 1 "$PG_OS_USER cannot write $dir (check its parent directories' permissions)"
    fi

    password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    (umask 077 && printf '%s\n' "$password" >"$dir/pwfile")
    mkdir -p "$dir/sock"
    if [[ $(id -u) -eq 0 ]]; then
        chown "$PG_OS_USER:" "$dir/pwfile" "$dir/sock"
    fi

    log "initdb in $dir/data (${bindir})"
    (cd "$dir" && as_pg "$bindir/initdb" -D "$dir/data" -U "$DB_USER" --pwfile="$dir/pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
        >"$dir/initdb.log" 2>&1) ||
        (cd "$dir" && as_pg "$bindir/initdb" -D "$dir/data" -U "$DB_USER" --pwfile="$dir/pwfile" \
            --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C \
            >"$dir/initdb.log" 2>&1) || {
        cat "$dir/initdb.log" >&2
        die 1 "initdb failed (log above)"
    }
    rm -f "$dir/pwfile"

    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        if (cd "$dir" && as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='$dir/sock' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >/dev/null 2>&1); then
            started=1
            break
        fi
        log "start on port $port failed (attempt $attempt); retrying on another port"
        tail -n 5 "$dir/postgres.log" >&2 2>/dev/null || true
    done
    ((started)) || die 1 "PostgreSQL did not start; see $dir/postgres.log"
    echo "$port" >"$dir/port"
    log "PostgreSQL running on 127.0.0.1:$port (data $dir/data)"

    local psql=("$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir/sock" -p "$port" -U "$DB_USER")
    (cd "$dir" && as_pg "${psql[@]}" -d postgres -c "CREATE DATABASE $DB_NAME" >&2) ||
        die 1 "could not create database $DB_NAME"
    (cd "$dir" && as_pg "${psql[@]}" -d "$DB_NAME" -c "CREATE EXTENSION IF NOT EXISTS btree_gist" >&2) ||
        die 1 "could not create extension btree_gist in $DB_NAME"

    url="postgresql+psycopg://$DB_USER:$password@127.0.0.1:$port/$DB_NAME"
    (umask 077 && echo "$url" >"$dir/url")
    log "ready: database $DB_NAME with btree_gist; stop with: bash $0 stop $dir"
    echo "$url"
}

cmd_stop() {
    local dir="${1:-}" bindir
    [[ -n "$dir" ]] || die 2 "usage: $0 stop DIR"
    if [[ ! -d "$dir" ]]; then
        log "$dir does not exist; nothing to stop"
        return 0
    fi
    dir=$(cd "$dir" && pwd)
    if [[ -f "$dir/data/postmaster.pid" ]]; then
        if bindir=$(find_bindir); then
            (cd "$dir" && as_pg "$bindir/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1) ||
                log "pg_ctl stop failed; killing the postmaster"
        fi
        # Fallback: pg_ctl missing or failed.
        if [[ -f "$dir/data/postmaster.pid" ]]; then
            local pid
            pid=$(head -n1 "$dir/data/postmaster.pid" 2>/dev/null || true)
            if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
                kill -QUIT "$pid" 2>/dev/null || true
                sleep 1
                kill -KILL "$pid" 2>/dev/null || true
            fi
        fi
    fi
    rm -rf "$dir"
    log "stopped and removed $dir"
}

case "${1:-}" in
install) cmd_install ;;
start) cmd_start "${2:-}" ;;
stop) cmd_stop "${2:-}" ;;
*) die 2 "usage: $0 install | start [DIR] | stop DIR" ;;
esac
