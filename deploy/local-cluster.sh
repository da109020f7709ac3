#!/usr/bin/env bash
# A local multi-silo cluster on loopback, for trying the cluster path on one machine.
#
#   deploy/local-cluster.sh start --silos N [--data-dir DIR] [--postgres CONNSTR] [--silo-port P] [--api-port P]
#                                 [--timeout SECONDS] [--no-build]
#   deploy/local-cluster.sh stop [--data-dir DIR] [--timeout SECONDS]
#
# start builds Hpf.Silo (unless --no-build, or HPF_SILO_DLL names a built Hpf.Silo.dll), starts N silos with distinct
# silo-to-silo and client API ports, one shared SQLite membership table and grain state file under DIR (or PostgreSQL
# for both with --postgres, or $HPF_POSTGRES, which keeps the password out of the process list), waits until every
# silo's API answers and sees all N, and prints two lines a script can eval:
#
#   HPF_CLUSTER=http://127.0.0.1:11180
#   HPF_API_KEY=...
#
# The cluster secret and the API key are generated for the run and passed to the silos in their environment, never
# on a command line (where ps would show them). Logs go to DIR/silo-N.log, pids to DIR/pids.
# stop sends SIGTERM to exactly the recorded pids (those still running Hpf.Silo), then SIGKILL after the timeout.
set -euo pipefail

readonly repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

die() {
  echo "local-cluster.sh: $*" >&2
  exit 1
}

usage() {
  cat >&2 <<'EOF'
usage: deploy/local-cluster.sh start --silos N [--data-dir DIR] [--postgres CONNSTR] [--silo-port P] [--api-port P]
                                     [--timeout SECONDS] [--no-build]
       deploy/local-cluster.sh stop [--data-dir DIR] [--timeout SECONDS]

start prints HPF_CLUSTER=... and HPF_API_KEY=... lines to eval; stop ends exactly the silos start recorded.
DIR defaults to $HPF_LOCAL_CLUSTER_DIR, else .local-cluster in the repository; --postgres defaults to $HPF_POSTGRES.
EOF
  exit 2
}

command="${1:-}"
[[ -n "$command" ]] || usage
shift

silos=""
data_dir="${HPF_LOCAL_CLUSTER_DIR:-$repo_root/.local-cluster}"
postgres="${HPF_POSTGRES:-}"
silo_port=11111
api_port=11180
timeout_seconds=""
build=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --silos) silos="${2:?--silos needs a number}"; shift 2 ;;
    --data-dir) data_dir="${2:?--data-dir needs a directory}"; shift 2 ;;
    --postgres) postgres="${2:?--postgres needs a connection string}"; shift 2 ;;
    --silo-port) silo_port="${2:?--silo-port needs a port}"; shift 2 ;;
    --api-port) api_port="${2:?--api-port needs a port}"; shift 2 ;;
    --timeout) timeout_seconds="${2:?--timeout needs seconds}"; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) usage ;;
    *) die "unknown option '$1' (try --help)" ;;
  esac
done

is_number() { [[ "$1" =~ ^[0-9]+$ ]]; }

# A pid that exited but was not reaped yet (its parent is gone) counts as stopped.
is_running() {
  local pid="$1" state
  kill -0 "$pid" 2>/dev/null || return 1
  [[ -r "/proc/$pid/stat" ]] || return 0
  state="$(cut -d ' ' -f 3 < "/proc/$pid/stat" 2>/dev/null || echo Z)"
  [[ "$state" != "Z" && "$state" != "X" ]]
}

# Only a recorded pid still running Hpf.Silo is ours: a pid the system reused for something else is left alone.
is_our_silo() {
  local pid="$1"
  is_running "$pid" || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 0
  [[ "$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)" == *Hpf.Silo* ]]
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# The first port from $1 on that nothing listens on and that this run has not taken yet.
free_port_from() {
  local port="$1"
  while port_in_use "$port" || [[ " ${taken_ports[*]:-} " == *" $port "* ]]; do
    port=$((port + 1))
    ((port <= 65535)) || die "no free port from $1 up"
  done
  echo "$port"
}

# GET /api/cluster with the key over bash's /dev/tcp (no curl needed); prints the response.
cluster_info() {
  local port="$1"
  (
    exec 3<>"/dev/tcp/127.0.0.1/$port"
    printf 'GET /api/cluster HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nX-Api-Key: %s\r\nConnection: close\r\n\r\n' "$port" "$api_key" >&3
    cat <&3
  ) 2>/dev/null
}

random_hex() {
  od -An -tx1 -N32 /dev/urandom | tr -d ' \n'
}

stop_pids() {
  local limit="$1"; shift
  local pid deadline
  for pid in "$@"; do
    if is_our_silo "$pid"; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  deadline=$((SECONDS + limit))
  for pid in "$@"; do
    while is_running "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
  done
  for pid in "$@"; do
    if is_our_silo "$pid"; then
      echo "local-cluster.sh: silo $pid did not stop within ${limit} s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  for pid in "$@"; do
    local waited=0
    while is_running "$pid" && ((waited < 50)); do sleep 0.1; waited=$((waited + 1)); done
  done
}

start() {
  [[ -n "$silos" ]] || die "start needs --silos N"
  is_number "$silos" && ((silos >= 1)) || die "--silos must be a whole number ≥ 1, got '$silos'"
  is_number "$silo_port" && is_number "$api_port" || die "--silo-port and --api-port must be port numbers"
  local wait_limit="${timeout_seconds:-90}"
  is_number "$wait_limit" || die "--timeout must be whole seconds"
  mkdir -p "$data_dir"
  data_dir="$(cd "$data_dir" && pwd)"
  local pid_file="$data_dir/pids"
  if [[ -f "$pid_file" ]]; then
    local pid
    while read -r pid; do
      [[ -n "$pid" ]] && is_our_silo "$pid" && die "a cluster from $data_dir is still running (pid $pid); run: $0 stop --data-dir $data_dir"
    done < "$pid_file"
    rm -f "$pid_file"
  fi

  local dll="${HPF_SILO_DLL:-}"
  if [[ -z "$dll" ]]; then
    dll="$repo_root/src/Silo/bin/Release/net10.0/Hpf.Silo.dll"
    if ((build)); then
      echo "local-cluster.sh: building Hpf.Silo (Release)" >&2
      dotnet build "$repo_root/src/Silo" -c Release --nologo -v quiet >&2 || die "the build of Hpf.Silo failed"
    fi
  fi
  [[ -f "$dll" ]] || die "no Hpf.Silo at $dll (build it, or set HPF_SILO_DLL)"

  local secret cluster_id membership_args storage_args
  secret="$(random_hex)"
  api_key="$(random_hex)"
  cluster_id="local-$(od -An -tx1 -N4 /dev/urandom | tr -d ' \n')"
  if [[ -n "$postgres" ]]; then
    membership_args=(--Membership:Provider=Postgres)
    storage_args=(--Storage:Provider=Postgres)
  else
    membership_args=(--Membership:Provider=Sqlite "--Membership:ConnectionString=Data Source=$data_dir/membership.db")
    storage_args=(--Storage:Provider=Sqlite "--Storage:DataDirectory=$data_dir")
  fi

  taken_ports=()
  local -a pids=() api_ports=()
  local i port api
  for ((i = 1; i <= silos; i++)); do
    port="$(free_port_from "$silo_port")"; taken_ports+=("$port")
    api="$(free_port_from "$api_port")"; taken_ports+=("$api")
    # Secrets (and a connection string's password) go by environment, exported in a subshell that then becomes the
    # silo: neither `env VAR=...` nor an argument, both of which ps would show.
    (
      export HPF_Cluster__ClusterSecret="$secret" HPF_Api__ApiKey="$api_key"
      if [[ -n "$postgres" ]]; then
        export HPF_Membership__ConnectionString="$postgres" HPF_Storage__ConnectionString="$postgres"
      fi
      exec nohup dotnet exec "$dll" \
        "--Cluster:ClusterId=$cluster_id" \
        "--Silo:BindAddress=127.0.0.1" "--Silo:Port=$port" "--Silo:SiloName=silo-$i" \
        "--Api:Port=$api" \
        "${membership_args[@]}" "${storage_args[@]}" \
        > "$data_dir/silo-$i.log" 2>&1 < /dev/null
    ) &
    pids+=("$!")
    api_ports+=("$api")
    echo "$!" >> "$pid_file"
    echo "local-cluster.sh: silo $i: pid $!, silo port $port, API port $api, log $data_dir/silo-$i.log" >&2
  done

  # Ready when every silo's API answers and sees all N silos active.
  local deadline=$((SECONDS + wait_limit)) ready
  while true; do
    ready=0
    for ((i = 0; i < silos; i++)); do
      if ! is_running "${pids[$i]}"; then
        echo "local-cluster.sh: silo $((i + 1)) (pid ${pids[$i]}) exited; the end of its log:" >&2
        tail -n 20 "$data_dir/silo-$((i + 1)).log" >&2 || true
        stop_pids 10 "${pids[@]}"
        rm -f "$pid_file"
        exit 1
      fi
      if [[ "$(cluster_info "${api_ports[$i]}")" == *"\"activeSiloCount\":$silos}"* ]]; then
        ready=$((ready + 1))
      fi
    done
    ((ready == silos)) && break
    if ((SECONDS >= deadline)); then
      echo "local-cluster.sh: the silos did not all see each other within ${wait_limit} s; stopping them" >&2
      stop_pids 10 "${pids[@]}"
      rm -f "$pid_file"
      exit 1
    fi
    sleep 0.5
  done

  local env_file="$data_dir/cluster.env"
  (umask 077 && printf 'HPF_CLUSTER=http://127.0.0.1:%s\nHPF_API_KEY=%s\n' "${api_ports[0]}" "$api_key" > "$env_file")
  echo "local-cluster.sh: $silos silo(s) up; stop them with: $0 stop --data-dir $data_dir" >&2
  cat "$env_file"
}

stop() {
  local limit="${timeout_seconds:-30}"
  is_number "$limit" || die "--timeout must be whole seconds"
  local pid_file="$data_dir/pids"
  [[ -f "$pid_file" ]] || die "no cluster recorded in $data_dir (no pids file)"
  local -a pids=()
  local pid
  while read -r pid; do
    [[ -n "$pid" ]] && pids+=("$pid")
  done < "$pid_file"
  stop_pids "$limit" "${pids[@]}"
  for pid in "${pids[@]}"; do
    is_running "$pid" && die "pid $pid is still running"
  done
  rm -f "$pid_file" "$data_dir/cluster.env"
  echo "local-cluster.sh: stopped ${#pids[@]} silo(s) from $data_dir" >&2
}

case "$command" in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
