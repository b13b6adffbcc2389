#!/usr/bin/env bash
# benchcompare-speed.sh: benchcompare against benchstat on two 50,000-line
# benchmark files, side by side.
#
#   scripts/benchcompare-speed.sh
#
# It generates two files in the Go benchmark format (50 benchmarks with
# ns/op, B/op and allocs/op, 1,000 samples each, the second 3% slower,
# from a fixed seed), builds benchstat at the golang.org/x/perf version
# go.mod pins and benchcompare from this tree, then times one run of each
# on the same files with text output, one after the other, and prints
# wall and CPU times and the ratios benchcompare/benchstat (target: <= 1).
# ROUNDS=n interleaves n runs of each and reports medians.
# benchcompare computes more than benchstat (ratio intervals, advice).
#
# Needs Go, awk and GNU time (Debian package time; installed here with
# apt-get when missing).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ ! -x /usr/bin/time ]; then
	if [ "$(id -u)" = 0 ]; then apt-get install -y time >/dev/null; else sudo apt-get install -y time >/dev/null; fi
fi

gen() { # gen SEED SHIFT FILE
	awk -v seed="$1" -v shift="$2" 'BEGIN {
		srand(seed)
		print "goos: linux"; print "goarch: amd64"; print "pkg: example.com/speed"; print "cpu: generated"
		for (i = 0; i < 50000; i++) {
			n = i % 50
			# Sum of uniforms: roughly normal noise of 5%.
			noise = (rand() + rand() + rand() + rand() - 2) * 0.087
			printf "BenchmarkOp%d/size=%d-8 \t 1000000 \t %.2f ns/op \t %d B/op \t %d allocs/op\n", n, 2^(n%12), 100*(n+1)*(1+shift+noise), 16*(n%5), n%3
		}
	}' >"$3"
}
gen 1 0 "$work/old.txt"
gen 2 0.03 "$work/new.txt"
wc -l "$work/old.txt" "$work/new.txt" | sed 's|'"$work"'/||'

cd "$repo"
go build -o "$work/benchstat" golang.org/x/perf/cmd/benchstat
go build -o "$work/benchcompare" ./examples/benchcompare
echo "benchstat: golang.org/x/perf $(go list -m -f '{{.Version}}' golang.org/x/perf)"

# timeit NAME CMD...: one run, output discarded; prints "wall cpu" seconds,
# cpu being user+sys from GNU time. On a shared machine wall time includes
# waiting for a CPU, so both are shown.
timeit() {
	/usr/bin/time -f '%e %U %S' -o "$work/$1.time" "${@:2}" >/dev/null 2>"$work/$1.err" ||
		{ echo "$1 failed:" >&2; cat "$work/$1.err" >&2; exit 1; }
	awk '{ print $1, $2 + $3 }' "$work/$1.time"
}
# Warm the page cache and the binaries once, untimed.
"$work/benchstat" "$work/old.txt" "$work/new.txt" >/dev/null
"$work/benchcompare" "$work/old.txt" "$work/new.txt" >/dev/null

rounds=${ROUNDS:-1}
: >"$work/bs.all"
: >"$work/bc.all"
for _ in $(seq "$rounds"); do
	timeit benchstat "$work/benchstat" "$work/old.txt" "$work/new.txt" >>"$work/bs.all"
	timeit benchcompare "$work/benchcompare" "$work/old.txt" "$work/new.txt" >>"$work/bc.all"
done
median() { # median FILE COLUMN
	sort -g -k"$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
bs_wall=$(median "$work/bs.all" 1) bs_cpu=$(median "$work/bs.all" 2)
bc_wall=$(median "$work/bc.all" 1) bc_cpu=$(median "$work/bc.all" 2)
echo "rounds: $rounds (ROUNDS=n for the median of n interleaved runs)"
awk -v bw="$bs_wall" -v bc="$bs_cpu" -v cw="$bc_wall" -v cc="$bc_cpu" 'BEGIN {
	printf "              wall      cpu (user+sys)\n"
	printf "benchstat     %6.2f s  %6.2f s\n", bw, bc
	printf "benchcompare  %6.2f s  %6.2f s\n", cw, cc
	printf "ratio benchcompare/benchstat: wall %.2f, cpu %.2f (target <= 1)\n", cw / bw, cc / bc
}'
