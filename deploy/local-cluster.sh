#!/usr/bin/env bash
# A local multi-silo cluster on loopback, for trying the cluster profile on one machine: Azurite (the Azure Storage
# emulator, pinned in deploy/azurite) for membership, grain state and checkpoints, and N Hpf.Silo processes on it.
#
#   deploy/local-cluster.sh start --silos N [--data-dir DIR] [--silo-port P] [--gateway-port P] [--api-port P]
#                                 [--azurite-port P] [--timeout SECONDS] [--no-build]
#   deploy/local-cluster.sh stop [--data-dir DIR] [--timeout SECONDS]
#   deploy/local-cluster.sh link [--data-dir DIR]
#   deploy/local-cluster.sh clean [--data-dir DIR]
#
# start installs Azurite on first use (npm ci into deploy/azurite/node_modules; needs Node and npm), starts it with its
# data in DIR/azurite (blob, queue and table services on P, P+1, P+2; default 10000), builds Hpf.Silo (unless
# --no-build, or HPF_SILO_DLL names a built Hpf.Silo.dll), starts N silos with Profile=cluster on that storage, each with
# its own silo-to-silo, gateway and API port, waits until every silo's API answers and sees all N, and prints three
# lines a script can eval:
#
#   HPF_CLUSTER=127.0.0.1:30000,127.0.0.1:30001,...      (the gateways the hpf console connects to)
#   HPF_API_KEY=...
#   HPF_JOBS_PAGE=http://127.0.0.1:11180/#login=TOKEN    (the first silo's jobs page, to open in a browser here)
#
# The page's link carries a one-time sign-in token that the silo minted (POST /api/browser-links) and exchanges for a
# session cookie: good for 15 minutes and once; link prints a fresh one for a running cluster.
#
# The API key is made on the first start and kept in DIR/api-key (mode 600): a restart after stop uses the same key,
# so clients that saved it keep working; clean deletes it, and the next start makes a new one. The key and the storage
# connection string go to the silos in their environment, never on a command line (where ps would show them). The
# silos keep the default cluster and service ids (hpf): the console, given only gateway endpoints, connects with
# those, and an Orleans gateway refuses a client of another cluster id. Grain state stays in DIR/azurite across stop
# and start, until clean.
#
# start --silos 0 starts Azurite alone (to run silos by hand, e.g. under a debugger) and prints instead the settings
# such a silo needs, quoted for eval: HPF_Profile, HPF_Storage__ConnectionString, HPF_Api__ApiKey and HPF_API_KEY.
#
# Logs go to DIR/silo-N.log and DIR/azurite.log, silo pids to DIR/pids, their API ports to DIR/api-ports, Azurite's pid to DIR/azurite.pid, and the
# printed lines again to DIR/cluster.env (mode 600). start refuses a DIR whose cluster still runs.
# stop sends SIGTERM to exactly the recorded pids (those still running Hpf.Silo, then Azurite), then SIGKILL after the
# timeout. clean (only while nothing runs) deletes what start left in DIR: Azurite's data, the logs, the key, the env
# and pid files; nothing outside DIR, and DIR itself only if that leaves it empty.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly repo_root
readonly azurite_dir="$repo_root/deploy/azurite"
readonly azurite_bin="$azurite_dir/node_modules/.bin/azurite"
# Azurite's well-known development account: public, the same in every Azurite, so no secret.
readonly azurite_account=devstoreaccount1
readonly azurite_account_key='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

die() {
  echo "local-cluster.sh: $*" >&2
  exit 1
}

# usage [CODE]: the usage text, on stdout for --help (exit 0), else on stderr (exit 2).
usage() {
  local code="${1:-2}"
  if ((code != 0)); then exec 1>&2; fi
  cat <<'EOF'
usage: deploy/local-cluster.sh start --silos N [--data-dir DIR] [--silo-port P] [--gateway-port P] [--api-port P]
                                     [--azurite-port P] [--timeout SECONDS] [--no-build]
       deploy/local-cluster.sh stop [--data-dir DIR] [--timeout SECONDS]
       deploy/local-cluster.sh link [--data-dir DIR]
       deploy/local-cluster.sh clean [--data-dir DIR]

start runs Azurite (blob, queue, table on --azurite-port P, P+1, P+2; default 10000) and N silos on it (silo ports
from 11111, gateway ports from 30000, API ports from 11180; the next free one when taken), then prints
HPF_CLUSTER=host:port,... (the gateways), HPF_API_KEY=... and HPF_JOBS_PAGE=http://... (the jobs page, with a
one-time sign-in token) lines to eval. link prints a new HPF_JOBS_PAGE line. --silos 0 starts Azurite alone and
prints the settings a silo started by hand needs. The API key is kept in DIR/api-key across restarts.
stop ends exactly the silos and the Azurite that start recorded; clean deletes what they stored in DIR.
DIR defaults to $HPF_LOCAL_CLUSTER_DIR, else .local-cluster in the repository; HPF_SILO_DLL names a built Hpf.Silo.dll.
EOF
  exit "$code"
}

command="${1:-}"
[[ -n "$command" ]] || usage
shift

silos=""
data_dir="${HPF_LOCAL_CLUSTER_DIR:-$repo_root/.local-cluster}"
silo_port=11111
gateway_port=30000
api_port=11180
azurite_port=10000
timeout_seconds=""
build=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --silos) silos="${2:?--silos needs a number}"; shift 2 ;;
    --data-dir) data_dir="${2:?--data-dir needs a directory}"; shift 2 ;;
    --silo-port) silo_port="${2:?--silo-port needs a port}"; shift 2 ;;
    --gateway-port) gateway_port="${2:?--gateway-port needs a port}"; shift 2 ;;
    --api-port) api_port="${2:?--api-port needs a port}"; shift 2 ;;
    --azurite-port) azurite_port="${2:?--azurite-port needs a port}"; shift 2 ;;
    --timeout) timeout_seconds="${2:?--timeout needs seconds}"; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) usage 0 ;;
    *) echo "local-cluster.sh: unknown option '$1'" >&2; usage ;;
  esac
done

is_number() { [[ "$1" =~ ^[0-9]+$ ]]; }
is_port() { [[ "$1" =~ ^[1-9][0-9]{0,4}$ ]] && (($1 <= 65535)); }

# A pid that exited but was not reaped yet (its parent is gone) counts as stopped.
is_running() {
  local pid="$1" state
  kill -0 "$pid" 2>/dev/null || return 1
  [[ -r "/proc/$pid/stat" ]] || return 0
  state="$(cut -d ' ' -f 3 < "/proc/$pid/stat" 2>/dev/null || echo Z)"
  [[ "$state" != "Z" && "$state" != "X" ]]
}

# Only a recorded pid still running what we started is ours: a pid the system reused for something else is left
# alone. Silos run Hpf.Silo; Azurite runs azurite with its data in this DIR.
command_line_of() { tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null || true; }
is_our_silo() {
  local pid="$1"
  is_running "$pid" || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 0
  [[ "$(command_line_of "$pid")" == *Hpf.Silo* ]]
}
is_our_azurite() {
  local pid="$1"
  is_running "$pid" || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 0
  [[ "$(command_line_of "$pid")" == *azurite*"--location $data_dir/azurite "* ]]
}

# The pids recorded in a file, one a line (none if there is no file).
read_pids() {
  local file="$1" pid
  [[ -f "$file" ]] || return 0
  while read -r pid; do
    if is_number "$pid"; then echo "$pid"; fi
  done < "$file"
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

# POST /api/browser-links with the key; prints the jobs page's URL with a one-time sign-in token (nothing on failure).
jobs_page_link() {
  local port="$1" response
  response="$(
    (
      exec 3<>"/dev/tcp/127.0.0.1/$port"
      printf 'POST /api/browser-links HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nX-Api-Key: %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n' "$port" "$api_key" >&3
      cat <&3
    ) 2>/dev/null || true
  )"
  if [[ "$response" =~ \"path\":\"(/#login=[A-Za-z0-9._~-]+)\" ]]; then
    echo "http://127.0.0.1:$port${BASH_REMATCH[1]}"
  fi
}

random_hex() {
  od -An -tx1 -N32 /dev/urandom | tr -d ' \n'
}

# stop_pids WHAT IS_OURS LIMIT PID...: SIGTERM to those still ours, SIGKILL to those still ours after LIMIT seconds.
stop_pids() {
  local what="$1" is_ours="$2" limit="$3"; shift 3
  local pid deadline
  for pid in "$@"; do
    if "$is_ours" "$pid"; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  deadline=$((SECONDS + limit))
  for pid in "$@"; do
    while is_running "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
  done
  kill_leftovers "$what" "$is_ours" "$limit" "$@"
}

# kill_leftovers WHAT IS_OURS LIMIT PID...: SIGKILL to those still ours once LIMIT has passed, then wait (5 s at most)
# until they are gone.
kill_leftovers() {
  local what="$1" is_ours="$2" limit="$3"; shift 3
  local pid
  for pid in "$@"; do
    if "$is_ours" "$pid"; then
      echo "local-cluster.sh: $what $pid did not stop within ${limit} s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  for pid in "$@"; do
    local waited=0
    while is_running "$pid" && ((waited < 50)); do sleep 0.1; waited=$((waited + 1)); done
  done
}

# stop_azurite LIMIT PID...: Azurite (3.37, on Node 20) answers SIGTERM by closing its three services, which saves
# its data, but its process then stays up; a second SIGTERM, once the log says all three closed, ends it (the handler
# is a one-shot). SIGKILL only for what is still ours after LIMIT seconds.
stop_azurite() {
  local limit="$1"; shift
  local pid deadline log="$data_dir/azurite.log"
  for pid in "$@"; do
    if is_our_azurite "$pid"; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  deadline=$((SECONDS + limit))
  for pid in "$@"; do
    while is_running "$pid" && ((SECONDS < deadline)); do
      if (($(grep -c 'service successfully closed' "$log" 2>/dev/null || true) >= 3)); then
        if is_our_azurite "$pid"; then kill -TERM "$pid" 2>/dev/null || true; fi
        local waited=0
        while is_running "$pid" && ((waited < 25)); do sleep 0.2; waited=$((waited + 1)); done
        break
      fi
      sleep 0.2
    done
  done
  kill_leftovers Azurite is_our_azurite "$limit" "$@"
}

# Ends what a failed start got going (silos first, then Azurite) and forgets it.
abandon_start() {
  local -a silo_pids azurite_pids
  mapfile -t silo_pids < <(read_pids "$data_dir/pids")
  mapfile -t azurite_pids < <(read_pids "$data_dir/azurite.pid")
  ((${#silo_pids[@]} == 0)) || stop_pids silo is_our_silo 10 "${silo_pids[@]}"
  ((${#azurite_pids[@]} == 0)) || stop_azurite 10 "${azurite_pids[@]}"
  rm -f "$data_dir/pids" "$data_dir/azurite.pid"
  exit 1
}

# Dies when something start recorded in DIR still runs.
refuse_if_running() {
  local pid hint="$1"
  while read -r pid; do
    [[ -n "$pid" ]] || continue
    is_our_silo "$pid" && die "a cluster from $data_dir is still running (silo pid $pid); $hint"
  done < <(read_pids "$data_dir/pids")
  while read -r pid; do
    [[ -n "$pid" ]] || continue
    is_our_azurite "$pid" && die "a cluster from $data_dir is still running (Azurite pid $pid); $hint"
  done < <(read_pids "$data_dir/azurite.pid")
  return 0
}

install_azurite() {
  [[ -x "$azurite_bin" ]] && return 0
  command -v npm > /dev/null || die "Azurite is not installed and there is no npm to install it (install Node.js 20+)"
  echo "local-cluster.sh: installing Azurite into $azurite_dir/node_modules (first use)" >&2
  npm ci --prefix "$repo_root/deploy/azurite" --no-audit --no-fund >&2 || die "npm ci of Azurite failed"
  [[ -x "$azurite_bin" ]] || die "npm ci did not install $azurite_bin"
}

start() {
  [[ -n "$silos" ]] || die "start needs --silos N"
  is_number "$silos" || die "--silos must be a whole number (0 for Azurite alone), got '$silos'"
  if ! is_port "$silo_port" || ! is_port "$gateway_port" || ! is_port "$api_port"; then
    die "--silo-port, --gateway-port and --api-port must be port numbers"
  fi
  if ! is_port "$azurite_port" || ((azurite_port > 65533)); then
    die "--azurite-port must be a port number (it takes P, P+1, P+2)"
  fi
  local wait_limit="${timeout_seconds:-90}"
  is_number "$wait_limit" || die "--timeout must be whole seconds"
  mkdir -p "$data_dir"
  data_dir="$(cd "$data_dir" && pwd)"
  refuse_if_running "run: $0 stop --data-dir $data_dir"
  rm -f "$data_dir/pids" "$data_dir/azurite.pid" "$data_dir/cluster.env" "$data_dir/api-ports"

  local dll=""
  if ((silos > 0)); then
    dll="${HPF_SILO_DLL:-}"
    if [[ -z "$dll" ]]; then
      dll="$repo_root/src/Silo/bin/Release/net10.0/Hpf.Silo.dll"
      if ((build)); then
        echo "local-cluster.sh: building Hpf.Silo (Release)" >&2
        dotnet build "$repo_root/src/Silo" -c Release --nologo -v quiet >&2 || die "the build of Hpf.Silo failed"
      fi
    fi
    [[ -f "$dll" ]] || die "no Hpf.Silo at $dll (build it, or set HPF_SILO_DLL)"
  fi
  install_azurite

  # The same key across restarts of this DIR (see the header); made, readable by us alone, on the first start.
  local key_file="$data_dir/api-key"
  if [[ ! -s "$key_file" ]]; then
    (umask 077 && random_hex > "$key_file")
  fi
  api_key="$(< "$key_file")"
  [[ "$api_key" =~ ^[A-Za-z0-9._~-]+$ ]] || die "$key_file does not hold a usable API key; delete it (or run clean) to get a new one"

  # Azurite's three services on consecutive ports, as the connection string names them.
  taken_ports=()
  local blob=$azurite_port
  while port_in_use "$blob" || port_in_use $((blob + 1)) || port_in_use $((blob + 2)); do
    blob=$((blob + 1))
    ((blob <= 65533)) || die "no three free consecutive ports from $azurite_port up for Azurite"
  done
  local queue=$((blob + 1)) table=$((blob + 2))
  taken_ports+=("$blob" "$queue" "$table")
  local connection_string="DefaultEndpointsProtocol=http;AccountName=$azurite_account;AccountKey=$azurite_account_key;BlobEndpoint=http://127.0.0.1:$blob/$azurite_account;QueueEndpoint=http://127.0.0.1:$queue/$azurite_account;TableEndpoint=http://127.0.0.1:$table/$azurite_account;"

  mkdir -p "$data_dir/azurite"
  # --skipApiVersionCheck: the Azure SDK the silo uses may be newer than this Azurite's list of service versions.
  (
    cd "$data_dir"
    exec nohup "$azurite_bin" --silent --skipApiVersionCheck --location "$data_dir/azurite" \
      --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
      --blobPort "$blob" --queuePort "$queue" --tablePort "$table" \
      > "$data_dir/azurite.log" 2>&1 < /dev/null
  ) &
  local azurite_pid=$!
  echo "$azurite_pid" > "$data_dir/azurite.pid"
  echo "local-cluster.sh: Azurite: pid $azurite_pid, blob port $blob, queue $queue, table $table, log $data_dir/azurite.log" >&2
  local deadline=$((SECONDS + wait_limit))
  until port_in_use "$blob" && port_in_use "$table"; do
    if ! is_running "$azurite_pid"; then
      echo "local-cluster.sh: Azurite (pid $azurite_pid) exited; the end of its log:" >&2
      tail -n 20 "$data_dir/azurite.log" >&2 || true
      abandon_start
    fi
    if ((SECONDS >= deadline)); then
      echo "local-cluster.sh: Azurite did not listen on $blob and $table within ${wait_limit} s; stopping it" >&2
      abandon_start
    fi
    sleep 0.2
  done

  local env_file="$data_dir/cluster.env"
  if ((silos == 0)); then
    (umask 077 && printf "HPF_Profile=cluster\nHPF_Storage__ConnectionString='%s'\nHPF_Api__ApiKey=%s\nHPF_API_KEY=%s\n" \
      "$connection_string" "$api_key" "$api_key" > "$env_file")
    echo "local-cluster.sh: Azurite alone is up; run silos with these settings, stop it with: $0 stop --data-dir $data_dir" >&2
    cat "$env_file"
    return 0
  fi

  local -a pids=() api_ports=() gateways=()
  local i port gateway api
  for ((i = 1; i <= silos; i++)); do
    port="$(free_port_from "$silo_port")"; taken_ports+=("$port")
    gateway="$(free_port_from "$gateway_port")"; taken_ports+=("$gateway")
    api="$(free_port_from "$api_port")"; taken_ports+=("$api")
    # The key and the connection string go by environment, exported in a subshell that then becomes the silo:
    # neither `env VAR=...` nor an argument, both of which ps would show. Run from DIR, so nothing a silo writes
    # relative to its working directory lands elsewhere.
    (
      cd "$data_dir"
      export HPF_Profile=cluster HPF_Storage__ConnectionString="$connection_string" HPF_Api__ApiKey="$api_key"
      exec nohup dotnet exec "$dll" \
        "--Cluster:ClusterId=hpf" "--Cluster:ServiceId=hpf" \
        "--Silo:BindAddress=127.0.0.1" "--Silo:Port=$port" "--Silo:GatewayPort=$gateway" "--Silo:SiloName=silo-$i" \
        "--Api:Port=$api" \
        > "$data_dir/silo-$i.log" 2>&1 < /dev/null
    ) &
    pids+=("$!")
    api_ports+=("$api")
    echo "$api" >> "$data_dir/api-ports"
    gateways+=("127.0.0.1:$gateway")
    echo "$!" >> "$data_dir/pids"
    echo "local-cluster.sh: silo $i: pid $!, silo port $port, gateway port $gateway, API port $api, log $data_dir/silo-$i.log" >&2
  done

  # Ready when every silo's API answers and sees all N silos active.
  local ready
  deadline=$((SECONDS + wait_limit))
  while true; do
    ready=0
    for ((i = 0; i < silos; i++)); do
      if ! is_running "${pids[$i]}"; then
        echo "local-cluster.sh: silo $((i + 1)) (pid ${pids[$i]}) exited; the end of its log:" >&2
        tail -n 20 "$data_dir/silo-$((i + 1)).log" >&2 || true
        abandon_start
      fi
      if [[ "$(cluster_info "${api_ports[$i]}")" =~ \"activeSiloCount\":[[:space:]]*${silos}[^0-9] ]]; then
        ready=$((ready + 1))
      fi
    done
    ((ready == silos)) && break
    if ((SECONDS >= deadline)); then
      echo "local-cluster.sh: the silos did not all see each other within ${wait_limit} s; stopping them and Azurite" >&2
      abandon_start
    fi
    sleep 0.5
  done

  local gateway_list page
  gateway_list="$(IFS=,; echo "${gateways[*]}")"
  page="$(jobs_page_link "${api_ports[0]}")"
  [[ -n "$page" ]] || { echo "local-cluster.sh: silo 1 did not give a sign-in link for the jobs page" >&2; abandon_start; }
  (umask 077 && printf 'HPF_CLUSTER=%s\nHPF_API_KEY=%s\nHPF_JOBS_PAGE=%s\n' "$gateway_list" "$api_key" "$page" > "$env_file")
  echo "local-cluster.sh: $silos silo(s) up; stop them with: $0 stop --data-dir $data_dir" >&2
  echo "local-cluster.sh: open the jobs page in a browser on this machine (the link signs it in once, within 15 minutes): $page" >&2
  cat "$env_file"
}

# A fresh jobs page link from the first silo that answers.
link() {
  [[ -f "$data_dir/api-ports" && -s "$data_dir/api-key" ]] || die "no cluster with silos recorded in $data_dir (no api-ports file)"
  api_key="$(< "$data_dir/api-key")"
  local port page
  while read -r port; do
    is_port "$port" || continue
    page="$(jobs_page_link "$port")"
    if [[ -n "$page" ]]; then
      echo "HPF_JOBS_PAGE=$page"
      return 0
    fi
  done < "$data_dir/api-ports"
  die "no silo of $data_dir answered on its API port; is the cluster running? ($0 start)"
}

stop() {
  local limit="${timeout_seconds:-30}"
  is_number "$limit" || die "--timeout must be whole seconds"
  [[ -f "$data_dir/pids" || -f "$data_dir/azurite.pid" ]] || die "no cluster recorded in $data_dir (no pids file)"
  local -a silo_pids azurite_pids
  mapfile -t silo_pids < <(read_pids "$data_dir/pids")
  mapfile -t azurite_pids < <(read_pids "$data_dir/azurite.pid")
  # Silos first: they write their grain state to Azurite as they leave.
  ((${#silo_pids[@]} == 0)) || stop_pids silo is_our_silo "$limit" "${silo_pids[@]}"
  ((${#azurite_pids[@]} == 0)) || stop_azurite "$limit" "${azurite_pids[@]}"
  local pid
  for pid in "${silo_pids[@]}" "${azurite_pids[@]}"; do
    is_running "$pid" && die "pid $pid is still running"
  done
  rm -f "$data_dir/pids" "$data_dir/azurite.pid" "$data_dir/cluster.env" "$data_dir/api-ports"
  echo "local-cluster.sh: stopped ${#silo_pids[@]} silo(s) and Azurite from $data_dir" >&2
}

clean() {
  [[ -d "$data_dir" ]] || { echo "local-cluster.sh: nothing to clean: no $data_dir" >&2; return 0; }
  data_dir="$(cd "$data_dir" && pwd)"
  refuse_if_running "run stop first: $0 stop --data-dir $data_dir"
  # Exactly what start writes, by name, inside DIR.
  rm -rf -- "$data_dir/azurite"
  rm -f -- "$data_dir/azurite.log" "$data_dir"/silo-*.log "$data_dir/cluster.env" "$data_dir/api-key" \
    "$data_dir/pids" "$data_dir/azurite.pid" "$data_dir/api-ports"
  rmdir -- "$data_dir" 2>/dev/null || true
  echo "local-cluster.sh: removed the cluster's data from $data_dir" >&2
}

case "$command" in
  start) start ;;
  stop) stop ;;
  link) link ;;
  clean) clean ;;
  -h|--help) usage 0 ;;
  *) echo "local-cluster.sh: unknown command '$command'" >&2; usage ;;
esac
