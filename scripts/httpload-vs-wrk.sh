#!/usr/bin/env bash
# httpload-vs-wrk.sh runs wrk and httpload alternately against the same
# loopback net/http server (scripts/loadserver), with the same connections
# and duration, and prints each pair's req/s ratio and latency percentiles.
#
#   scripts/httpload-vs-wrk.sh [PAIRS]      (default 3)
#
# Environment: CONNS (default 32), DURATION (default 5s), THREADS (wrk's
# -t, default 2). Both are closed-loop here: wrk's latency, like httpload's
# in closed loop, runs from each request's send to its response. Client and
# server share the machine's CPUs, so the cheaper generator leaves the
# server more. It exits 1 if httpload's mean rate is below 0.9x wrk's.
set -euo pipefail

pairs=${1:-3}
conns=${CONNS:-32}
dur=${DURATION:-5s}
threads=${THREADS:-2}
here=$(cd "$(dirname "$0")" && pwd)
bin=$(mktemp -d)
server=
cleanup() {
	if [[ -n $server ]]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
	rm -rf "$bin"
}
trap cleanup EXIT

command -v wrk >/dev/null || { echo "httpload-vs-wrk: wrk not found (Debian package wrk)" >&2; exit 1; }
(cd "$here/.." && go build -o "$bin/httpload" ./examples/httpload && go build -o "$bin/loadserver" ./scripts/loadserver)

"$bin/loadserver" >"$bin/url" &
server=$!
for _ in $(seq 100); do [[ -s $bin/url ]] && break; sleep 0.05; done
url=$(head -n 1 "$bin/url")

# wrk prints latencies as 1.23ms, 456.00us, 1.02s; convert to seconds.
secs() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1e6} else if (v ~ /ms$/) {sub(/ms$/,"",v); v/=1e3} else if (v ~ /m$/) {sub(/m$/,"",v); v*=60} else {sub(/s$/,"",v)}; printf "%.6f\n", v}'; }
# bench VALUE UNIT reads a unit's value from httpload's -bench line.
bench() { awk -v u="$2" '/^Benchmark/ {for (i = 2; i <= NF; i++) if ($i == u) print $(i-1)}' "$1"; }

printf "server %s, %d connections, %s per run, wrk -t%d, GOMAXPROCS=%s\n\n" "$url" "$conns" "$dur" "$threads" "${GOMAXPROCS:-$(nproc)}"
printf "%-5s %12s %12s %7s   %10s %10s   %10s %10s\n" pair "wrk req/s" "httpload" ratio "wrk p50" "hl p50" "wrk p99" "hl p99"
ratios=()
for i in $(seq "$pairs"); do
	wrk -t"$threads" -c"$conns" -d"$dur" --latency "$url" >"$bin/wrk.$i"
	"$bin/httpload" -c "$conns" -d "$dur" -bench Load "$url" >"$bin/hl.$i" || true
	w_rps=$(awk '/^Requests\/sec:/ {print $2}' "$bin/wrk.$i")
	w_p50=$(awk '$1 == "50%" {print $2}' "$bin/wrk.$i" | secs)
	w_p99=$(awk '$1 == "99%" {print $2}' "$bin/wrk.$i" | secs)
	h_rps=$(bench "$bin/hl.$i" req/s)
	h_p50=$(bench "$bin/hl.$i" p50-sec)
	h_p99=$(bench "$bin/hl.$i" p99-sec)
	ratio=$(awk -v h="$h_rps" -v w="$w_rps" 'BEGIN {printf "%.2f", h / w}')
	ratios+=("$ratio")
	awk -v i="$i" -v wr="$w_rps" -v hr="$h_rps" -v r="$ratio" -v w50="$w_p50" -v h50="$h_p50" -v w99="$w_p99" -v h99="$h_p99" 'BEGIN {
		printf "%-5s %12.0f %12.0f %6.2fx   %8.3fms %8.3fms   %8.3fms %8.3fms\n", i, wr, hr, r, w50*1e3, h50*1e3, w99*1e3, h99*1e3
	}'
	printf "%s %s %s %s\n" "$w_p50" "$h_p50" "$w_p99" "$h_p99" >>"$bin/pcts"
done
printf '%s\n' "${ratios[@]}" | awk '{s += $1; n++} END {
	m = s / n
	printf "\nmean ratio httpload/wrk: %.2fx (target >= 1.0x, failure below 0.9x)\n", m
	exit (m < 0.9)
}' && status=0 || status=1
awk '{p50 += ($2 - $1) / $1; p99 += ($4 - $3) / $3; n++} END {
	printf "mean p50 difference: %+.0f%%, mean p99 difference: %+.0f%% (httpload vs wrk)\n", 100 * p50 / n, 100 * p99 / n
}' "$bin/pcts"
grep -h "^# \|warning" "$bin"/hl.* 2>/dev/null | sort -u || true
exit "$status"
