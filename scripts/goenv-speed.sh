#!/usr/bin/env bash
# goenv-speed.sh: how fast goenv.Resolve computes the whole Go environment
# in-process, against "go env -json", which starts the go command.
#
#   scripts/goenv-speed.sh
#
# It runs the Go benchmarks BenchmarkResolve (the go binary's build
# information memoized, as in a long-running tool) and BenchmarkResolveCold
# (parsed every time, as in a one-shot CLI), COUNT times each (default 5,
# from the environment), and takes the median ns/op. It then times
# "go env -json" and "go env -json GOPROXY" (no C compiler questions) with
# hyperfine when present, else with a loop of RUNS (default 30) runs, and
# prints the ratios. Target: Resolve under 1 ms.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
count=${COUNT:-5}
runs=${RUNS:-30}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$repo"

go test -run '^$' -bench 'BenchmarkResolve' -benchmem -count "$count" ./toolchain/goenv >"$work/bench.txt"
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
warm=$(awk '$1 ~ /^BenchmarkResolve-/ {print $3}' "$work/bench.txt" | median)
cold=$(awk '$1 ~ /^BenchmarkResolveCold-/ {print $3}' "$work/bench.txt" | median)
# CPU time per resolution, which the load of a shared machine does not inflate.
cpu_of() { awk -v b="$1" '$1 ~ b {for (i = 1; i < NF; i++) if ($(i+1) == "cpu-ns/op") print $i}' "$work/bench.txt" | median; }
warm_cpu=$(cpu_of '^BenchmarkResolve-')
cold_cpu=$(cpu_of '^BenchmarkResolveCold-')

# time_cmd NAME COMMAND...: mean wall time in ns.
time_cmd() {
	local name=$1
	shift
	if command -v hyperfine >/dev/null 2>&1; then
		hyperfine --shell=none --style none --warmup 3 --runs "$runs" --export-json "$work/$name.json" -- "$*" >/dev/null
		python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["results"][0]["mean"]*1e9))' "$work/$name.json"
	else
		local start end
		for _ in 1 2 3; do "$@" >/dev/null; done
		start=$(date +%s%N)
		for ((i = 0; i < runs; i++)); do "$@" >/dev/null; done
		end=$(date +%s%N)
		echo $(((end - start) / runs))
	fi
}
cd "$work" # outside any module
full=$(time_cmd full go env -json)
one=$(time_cmd one go env -json GOPROXY)

ms() { awk -v n="$1" 'BEGIN {printf "%.3f ms", n/1e6}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.0fx", a/b}'; }
echo "cores: $(nproc), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "goenv.Resolve (warm, median of $count)      $(ms "$warm") wall, $(ms "$warm_cpu") CPU"
echo "goenv.Resolve (cold, median of $count)      $(ms "$cold") wall, $(ms "$cold_cpu") CPU"
echo "go env -json (mean of $runs)                 $(ms "$full")   $(ratio "$full" "$warm") Resolve warm, $(ratio "$full" "$cold") cold"
echo "go env -json GOPROXY (mean of $runs)         $(ms "$one")   $(ratio "$one" "$warm") Resolve warm, $(ratio "$one" "$cold") cold"
awk -v w="$warm" -v c="$warm_cpu" 'BEGIN {
	printf "target (< 1 ms): wall %s, CPU %s\n", (w < 1e6) ? "met" : "NOT met on this run", (c < 1e6) ? "met" : "NOT met"
}'
