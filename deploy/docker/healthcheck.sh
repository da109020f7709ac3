#!/usr/bin/env bash
# Healthy when this silo's HTTP API answers GET /api/cluster with 200 and the silo sees at least one active silo
# (itself, once it has joined the cluster). The key comes from the silo's own environment (HPF_Api__ApiKey), so it
# never appears in a probe definition or on a command line (no child process gets it as an argument); the request
# goes over bash's /dev/tcp, as the runtime image has no curl.
set -uo pipefail

port="${HPF_Api__Port:-11180}"
if [[ -z "${HPF_Api__ApiKey:-}" ]]; then
  echo "hpf-healthcheck: HPF_Api__ApiKey is not set" >&2
  exit 1
fi
if ! exec 3<>"/dev/tcp/127.0.0.1/$port"; then
  echo "hpf-healthcheck: nothing listens on 127.0.0.1:$port" >&2
  exit 1
fi
printf 'GET /api/cluster HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nX-Api-Key: %s\r\nConnection: close\r\n\r\n' "$port" "$HPF_Api__ApiKey" >&3
# The whole answer, up to the server closing the connection, within the time limit.
response=""
IFS= read -r -d '' -t "${HPF_HEALTHCHECK_SECONDS:-4}" -u 3 response
if (($? > 128)); then
  echo "hpf-healthcheck: no complete answer within ${HPF_HEALTHCHECK_SECONDS:-4} s" >&2
  exit 1
fi
exec 3<&-

status="${response%%$'\r'*}"
if [[ "$status" != "HTTP/1.1 200"* ]]; then
  echo "hpf-healthcheck: ${status:-no answer}" >&2
  exit 1
fi
if [[ ! "$response" =~ \"activeSiloCount\":([0-9]+) ]] || ((BASH_REMATCH[1] < 1)); then
  echo "hpf-healthcheck: the silo sees no active silo (it has not joined)" >&2
  exit 1
fi
