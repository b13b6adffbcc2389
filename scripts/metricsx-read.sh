#!/usr/bin/env bash
# metricsx-read.sh: what a metricsx Snapshot read costs against a raw
# runtime/metrics.Read of every metric into a reused []metrics.Sample, the
# floor for any reader of all metrics (target: at most 1.2x, 0 allocs).
#
#   scripts/metricsx-read.sh [COUNT]      (default 10)
#
# It runs BenchmarkRead COUNT times, one go test run each (go test -count
# would run all raw rounds before all snapshot rounds), so that raw and
# snapshot rounds interleave and share the machine's noise. It prints the
# median ns/op of each, their ratio, and allocs/op. Needs only Go.
set -euo pipefail

count=${1:-10}
repo=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT

cd "$repo"
go test -c -o "$out.test" ./metricsx
trap 'rm -f "$out" "$out.test"' EXIT
for _ in $(seq "$count"); do
	(cd metricsx && "$out.test" -test.run '^$' -test.bench '^BenchmarkRead$' -test.benchtime 100000x -test.benchmem)
done | tee "$out" >&2

median() { # median of the ns/op of sub-benchmark $1
	awk -v name="BenchmarkRead/$1" '$1 ~ "^"name"(-[0-9]+)?$" { print $3 }' "$out" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2 }'
}
allocs() {
	awk -v name="BenchmarkRead/$1" '$1 ~ "^"name"(-[0-9]+)?$" { print $7 }' "$out" | sort -g | tail -1
}
raw=$(median raw)
snap=$(median snapshot)
printf 'metrics.Read (raw)   %8.0f ns/op  %s allocs/op (max)\n' "$raw" "$(allocs raw)"
printf 'Snapshot.Read        %8.0f ns/op  %s allocs/op (max)\n' "$snap" "$(allocs snapshot)"
awk -v r="$raw" -v s="$snap" 'BEGIN { printf "ratio snapshot/raw   %8.3f (target <= 1.2)\n", s / r }'
