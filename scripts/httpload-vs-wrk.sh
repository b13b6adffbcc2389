#!/usr/bin/env bash
# httpload-vs-wrk.sh runs wrk and httpload alternately against the same
# loopback net/http server (scripts/loadserver), with the same connections
# and duration, and prints each pair's req/s ratio and latency percentiles.
#
#   scripts/httpload-vs-wrk.sh [PAIRS]      (default 3)
#
# Environment: CONNS (default 32), DURATION (default 5s), THREADS (wrk's
# -t; by default as many as httpload runs event loops, one fewer than its
# CPUs and at least one, so that as many threads drive the connections),
# PIN (set to 1: the server runs on the last CPU, the generators on the
# others, through taskset and httpload -cpus). Both are closed-loop here: wrk's latency,
# like httpload's in closed loop, runs from each request's send to its
# response. Unpinned, client and server share the machine's CPUs, so the
# cheaper generator leaves the server more: GNU time measures each
# generator's CPU time, printed per request. bombardier (a Go generator, built from the Go module proxy at a
# pinned version into a temporary directory) runs as a third column when it
# can be built. All three send the same request: httpload names itself in
# a User-Agent header, so the others are given the same header (net/http
# spends about 5% more per request on a request with one more header).
#
# wrk does not print the latencies it measured: it first adds samples for
# the requests it assumes a connection held up by a slow response would
# have sent (stats_correct in wrk's src/stats.c, wg/wrk#485), which raises
# its percentiles and makes its mean exceed connections / req/s, the most a
# closed loop's mean latency can be (Little's law). httpload -wrk applies
# the same correction to its own measurements: those are the numbers to
# hold against wrk's (target: within 10%). httpload's measured percentiles
# are printed beside them. A generator's own threads compete with the
# server for the CPUs, so its thread count changes the tail it measures:
# wrk -t2 against httpload's one loop on 2 CPUs gives a p99 a third higher
# than wrk -t1's.
#
# In a virtual machine, waking an idle virtual CPU can cost a VM exit, and
# a generator that sleeps less often loses less to it (httpload's loops
# poll briefly before they block, benchkit/load/spin.go). The script
# prints the guest's cpuidle settings: before the loops polled, on a
# 2-vCPU guest with server and generator pinned to a CPU each, httpload
# made 0.94x wrk -t1's rate without guest halt polling (guest_halt_poll_ns
# 0) and 1.05x with it (200 µs).
# It exits 1 if httpload's mean rate is below 0.9x wrk's.
set -euo pipefail

pairs=${1:-3}
conns=${CONNS:-32}
dur=${DURATION:-5s}
ncpu=$(nproc)
server_on=()
client_on=()
hl_cpus=()
if [[ -n ${PIN:-} ]]; then
	((ncpu >= 2)) || { echo "httpload-vs-wrk: PIN needs 2 CPUs or more" >&2; exit 1; }
	command -v taskset >/dev/null || { echo "httpload-vs-wrk: taskset not found (Debian package util-linux)" >&2; exit 1; }
	server_on=(taskset -c "$((ncpu - 1))")
	client_on=(taskset -c "0-$((ncpu - 2))")
	hl_cpus=(-cpus "0-$((ncpu - 2))")
fi
gen_cpus=$([[ -n ${PIN:-} ]] && echo $((ncpu - 1)) || echo "$ncpu")
threads=${THREADS:-$((gen_cpus > 1 ? gen_cpus - 1 : 1))}
ua="User-Agent: nativego-httpload"
here=$(cd "$(dirname "$0")" && pwd)
bin=$(mktemp -d)
server=
cleanup() {
	if [[ -n $server ]]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
	rm -rf "$bin"
}
trap cleanup EXIT

command -v wrk >/dev/null || { echo "httpload-vs-wrk: wrk not found (Debian package wrk)" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "httpload-vs-wrk: GNU time not found (Debian package time)" >&2; exit 1; }
(cd "$here/.." && go build -o "$bin/httpload" ./examples/httpload && go build -o "$bin/loadserver" ./scripts/loadserver)
bombardier=
if (cd "$bin" && GOBIN="$bin" GOFLAGS=-mod=mod go install github.com/codesenberg/bombardier@v1.2.6) 2>/dev/null; then
	bombardier=$bin/bombardier
else
	echo "(bombardier could not be built; its column is left out)"
fi

"${server_on[@]}" "$bin/loadserver" >"$bin/url" &
server=$!
for _ in $(seq 100); do [[ -s $bin/url ]] && break; sleep 0.05; done
url=$(head -n 1 "$bin/url")

# wrk prints latencies as 1.23ms, 456.00us, 1.02s; convert to seconds.
secs() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1e6} else if (v ~ /ms$/) {sub(/ms$/,"",v); v/=1e3} else if (v ~ /m$/) {sub(/m$/,"",v); v*=60} else {sub(/s$/,"",v)}; printf "%.6f\n", v}'; }
# bench VALUE UNIT reads a unit's value from httpload's -bench line.
bench() { awk -v u="$2" '/^Benchmark/ {for (i = 2; i <= NF; i++) if ($i == u) print $(i-1)}' "$1"; }

printf "server %s, %d connections, %s per run, wrk -t%d, GOMAXPROCS=%s\n" "$url" "$conns" "$dur" "$threads" "${GOMAXPROCS:-$(nproc)}"
if [[ -n ${PIN:-} ]]; then
	printf "pinned: the server on CPU %d, the generators on CPUs 0-%d\n" "$((ncpu - 1))" "$((ncpu - 2))"
fi
idle=/sys/devices/system/cpu/cpuidle
if [[ -r $idle/current_driver ]]; then
	printf "cpuidle %s, governor %s" "$(cat "$idle/current_driver")" "$(cat "$idle/current_governor" 2>/dev/null || cat "$idle/current_governor_ro" 2>/dev/null || echo -)"
	if [[ -r /sys/module/haltpoll/parameters/guest_halt_poll_ns ]]; then
		printf ", guest_halt_poll_ns %s" "$(cat /sys/module/haltpoll/parameters/guest_halt_poll_ns)"
	fi
	printf "\n"
fi
printf "\n"
printf "%-5s %10s %10s %7s %11s   %-26s   %-26s   %s\n" "" "" "" "" "" "p50: wrk, httpload" "p99: wrk, httpload" "wrk's mean"
printf "%-5s %10s %10s %7s %11s   %8s %8s %8s   %8s %8s %8s   %10s   %s\n" pair "wrk req/s" httpload ratio bombardier wrk "as wrk" measured wrk "as wrk" measured "(bound)" "CPU µs/request wrk, httpload"
ratios=()
# cpu FILE REQUESTS prints user+sys CPU microseconds per request from GNU time's "%U %S".
cpu() { awk -v n="$2" '{printf "%.1f", ($1 + $2) * 1e6 / n}' "$1"; }
for i in $(seq "$pairs"); do
	/usr/bin/time -f "%U %S" -o "$bin/wrk.time" "${client_on[@]}" wrk -t"$threads" -c"$conns" -d"$dur" --latency -H "$ua" "$url" >"$bin/wrk.$i"
	/usr/bin/time -f "%U %S" -o "$bin/hl.time" "$bin/httpload" "${hl_cpus[@]}" -c "$conns" -d "$dur" -wrk -bench Load "$url" >"$bin/hl.$i" || true
	b_rps=-
	if [[ -n $bombardier ]]; then
		b_rps=$("${client_on[@]}" "$bombardier" -c "$conns" -d "$dur" -p r -H "$ua" "$url" | awk '$1 == "Reqs/sec" {printf "%.0f", $2}')
	fi
	w_rps=$(awk '/^Requests\/sec:/ {print $2}' "$bin/wrk.$i")
	w_p50=$(awk '$1 == "50%" {print $2}' "$bin/wrk.$i" | secs)
	w_p99=$(awk '$1 == "99%" {print $2}' "$bin/wrk.$i" | secs)
	w_mean=$(awk '$1 == "Latency" {print $2}' "$bin/wrk.$i" | secs)
	h_rps=$(bench "$bin/hl.$i" req/s)
	h_p50=$(bench "$bin/hl.$i" p50-sec)
	h_p99=$(bench "$bin/hl.$i" p99-sec)
	x_p50=$(bench "$bin/hl.$i" p50-wrk-sec)
	x_p99=$(bench "$bin/hl.$i" p99-wrk-sec)
	ratio=$(awk -v h="$h_rps" -v w="$w_rps" 'BEGIN {printf "%.2f", h / w}')
	ratios+=("$ratio")
	w_n=$(awk '/requests in/ {print $1}' "$bin/wrk.$i")
	h_n=$(awk -v d="${dur%s}" -v r="$h_rps" 'BEGIN {printf "%.0f", r * d}')
	w_cpu=$(cpu "$bin/wrk.time" "$w_n")
	h_cpu=$(cpu "$bin/hl.time" "$h_n")
	awk -v i="$i" -v wr="$w_rps" -v hr="$h_rps" -v r="$ratio" -v br="$b_rps" -v w50="$w_p50" -v h50="$h_p50" -v x50="$x_p50" \
		-v w99="$w_p99" -v h99="$h_p99" -v x99="$x_p99" -v wm="$w_mean" -v c="$conns" -v wc="$w_cpu" -v hc="$h_cpu" 'BEGIN {
		printf "%-5s %10.0f %10.0f %6.2fx %11s   %6.3fms %6.3fms %6.3fms   %6.3fms %6.3fms %6.3fms   %4.0fµs (%3.0fµs)   %s, %s\n",
			i, wr, hr, r, br, w50*1e3, x50*1e3, h50*1e3, w99*1e3, x99*1e3, h99*1e3, wm*1e6, c/wr*1e6, wc, hc
	}'
	printf "%s %s %s %s %s %s\n" "$w_p50" "$x_p50" "$h_p50" "$w_p99" "$x_p99" "$h_p99" >>"$bin/pcts"
done
printf '%s\n' "${ratios[@]}" | awk '{s += $1; n++} END {
	m = s / n
	printf "\nmean ratio httpload/wrk: %.2fx (target >= 1.0x, failure below 0.9x)\n", m
	exit (m < 0.9)
}' && status=0 || status=1
awk '{x50 += ($2 - $1) / $1; x99 += ($5 - $4) / $4; h50 += ($3 - $1) / $1; h99 += ($6 - $4) / $4; n++} END {
	printf "mean difference from wrk, httpload as wrk prints: p50 %+.0f%%, p99 %+.0f%% (target within 10%%)\n", 100 * x50 / n, 100 * x99 / n
	printf "mean difference from wrk, httpload measured:      p50 %+.0f%%, p99 %+.0f%%\n", 100 * h50 / n, 100 * h99 / n
}' "$bin/pcts"
printf "(bound) is connections / wrk's req/s: a closed loop's mean latency cannot exceed it; wrk's printed mean does by its correction\n"
grep -h "^# \|warning" "$bin"/hl.* 2>/dev/null | sort -u || true
exit "$status"
