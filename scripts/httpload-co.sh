#!/usr/bin/env bash
# httpload-co.sh demonstrates coordinated omission: a loopback server
# (scripts/loadserver) stalls once for a second, two seconds into the run.
# httpload runs an open loop at a fixed rate and reports latency from each
# request's scheduled send time (corrected) beside latency from its actual
# send time (uncorrected), then a closed loop, where the stall shows only
# as a gap in throughput. The closed loop also prints its latencies as wrk
# would (-wrk): wrk's correction turns each connection's one stalled
# request into as many samples as the connection would have sent at its
# usual pace during the stall, and so comes close to the open loop's
# corrected percentiles.
#
#   scripts/httpload-co.sh [SVG]     (SVG: also write the open loop's percentile plot there)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
bin=$(mktemp -d)
server=
stop_server() {
	if [[ -n $server ]]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
	server=
}
trap 'stop_server; rm -rf "$bin"' EXIT
(cd "$here/.." && go build -o "$bin/httpload" ./examples/httpload && go build -o "$bin/loadserver" ./scripts/loadserver)

start_server() {
	stop_server
	"$bin/loadserver" -stall-after 2s -stall 1s >"$bin/url" &
	server=$!
	for _ in $(seq 100); do [[ -s $bin/url ]] && break; sleep 0.05; done
	url=$(head -n 1 "$bin/url")
}

svg=()
if [[ $# -gt 0 ]]; then svg=(-svg "$1"); fi

echo "== open loop, 200 req/s for 6 s, 4 connections; the server stalls 1 s at t=2 s"
start_server
"$bin/httpload" -rate 200 -c 4 -d 6s "${svg[@]}" "$url" || true
echo
echo "== closed loop, 4 connections for 6 s, same stall"
start_server
"$bin/httpload" -c 4 -d 6s -wrk "$url" || true
