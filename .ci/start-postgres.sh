#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server for the runtime's PostgreSQL tests and prints, on stdout and nothing
# else, the line that points the tests at it:
#     export HPF_TEST_POSTGRES='Host=127.0.0.1;Port=...;Username=hpf;Password=...;Database=hpf'
# so CI can run   eval "$(.ci/start-postgres.sh)"   before `dotnet test`. Everything else goes to stderr.
#
# Installs Debian's postgresql package when no server binaries are present. Idempotent: a server this script
# started earlier on the machine (same HPF_PG_DIR) is reused if running and restarted if not.
# Settings: HPF_PG_DIR (default /tmp/hpf-ci-postgres), HPF_PG_PORT (first port tried, default 55432).
set -euo pipefail

dir="${HPF_PG_DIR:-/tmp/hpf-ci-postgres}"
first_port="${HPF_PG_PORT:-55432}"
log() { echo "start-postgres: $*" >&2; }

# Debian's binaries live under /usr/lib/postgresql/<major>/bin; other copies on PATH may be a different build.
find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
bin="$(find_bin)"
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ] || [ ! -x "$bin/pg_ctl" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        log "PostgreSQL is not installed and installing it needs root"; exit 1
    fi
    log "installing PostgreSQL from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update >&2
    apt-get install -y --no-install-recommends postgresql >&2
    bin="$(find_bin)"
fi
log "using $bin"

# PostgreSQL refuses to run as root, so as root the server runs as the postgres user the package created.
if [ "$(id -u)" -eq 0 ]; then
    owner=postgres
    id "$owner" >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash "$owner"
    as_owner() { runuser -u "$owner" -- "$@"; }
else
    owner="$(id -un)"
    as_owner() { "$@"; }
fi

data="$dir/data"
install -d -m 700 -o "$owner" "$dir"

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A cluster an earlier run left half made (interrupted before it recorded its port and password), or made by
# another major version, cannot be reused: stop it if it runs and start over.
major="$(basename "$(dirname "$bin")")"
if [ -f "$data/PG_VERSION" ] && { [ ! -f "$dir/port" ] || [ ! -f "$dir/password" ] || [ "$(cat "$data/PG_VERSION")" != "$major" ]; }; then
    log "discarding an unusable cluster from an earlier run"
    as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >&2 2>/dev/null || true
    rm -rf "$data" "$dir/port" "$dir/password"
fi

if [ -f "$data/PG_VERSION" ] && [ -f "$dir/port" ] && [ -f "$dir/password" ]; then
    port="$(cat "$dir/port")"
    password="$(cat "$dir/password")"
    if as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        log "reusing the server already running on port $port"
    else
        log "restarting the server of an earlier run"
        if ! port_free "$port"; then
            log "port $port is taken by something else; start over with a fresh cluster"
            rm -rf "$data" "$dir/port" "$dir/password"
        fi
    fi
fi

if [ ! -f "$data/PG_VERSION" ]; then
    rm -rf "$data"
    port="$first_port"
    while ! port_free "$port"; do port=$((port + 1)); done
    password="$(head -c 18 /dev/urandom | base64 | tr -d '/+=' )"
    pwfile="$dir/superuser-password"
    (umask 077; echo "$password" > "$pwfile")
    chown "$owner" "$pwfile"
    log "creating a fresh cluster in $data"
    as_owner "$bin/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 >&2
    rm -f "$pwfile"
    (umask 077; echo "$port" > "$dir/port"; echo "$password" > "$dir/password")
fi

if ! as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    # TCP on loopback only; the Unix socket goes in our directory, as /var/run/postgresql may not exist.
    as_owner "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir" start >&2
fi

# pg_ctl -w waits for startup; pg_isready also confirms the TCP listener answers.
for _ in $(seq 1 60); do
    if "$bin/pg_isready" -h 127.0.0.1 -p "$port" -q; then break; fi
    sleep 1
done
"$bin/pg_isready" -h 127.0.0.1 -p "$port" >&2

psql_su() { as_owner "$bin/psql" -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA "$@"; }
if [ "$(psql_su -c "SELECT 1 FROM pg_roles WHERE rolname = 'hpf'")" != "1" ]; then
    psql_su -c "CREATE ROLE hpf LOGIN PASSWORD '$password'" >&2
else
    psql_su -c "ALTER ROLE hpf LOGIN PASSWORD '$password'" >&2
fi
if [ "$(psql_su -c "SELECT 1 FROM pg_database WHERE datname = 'hpf'")" != "1" ]; then
    psql_su -c "CREATE DATABASE hpf OWNER hpf" >&2
fi
log "PostgreSQL ready on 127.0.0.1:$port, database hpf"

echo "export HPF_TEST_POSTGRES='Host=127.0.0.1;Port=$port;Username=hpf;Password=$password;Database=hpf'"
