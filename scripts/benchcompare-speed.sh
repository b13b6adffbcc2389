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
# both wall times and the ratio benchcompare/benchstat (target: <= 1).
# benchcompare computes more than benchstat (ratio intervals, advice).
#
# Needs only Go and awk.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

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

# now prints the time in seconds with nanoseconds (GNU date).
now() { date +%s.%N; }
timeit() { # timeit NAME CMD...: one run, output discarded, wall seconds on stdout
	local start end
	start=$(now)
	"${@:2}" >/dev/null 2>"$work/$1.err" || { echo "$1 failed:" >&2; cat "$work/$1.err" >&2; exit 1; }
	end=$(now)
	echo "$end - $start" | bc -l 2>/dev/null || awk -v a="$end" -v b="$start" 'BEGIN { print a - b }'
}
# Warm the page cache and the binaries once, untimed.
"$work/benchstat" "$work/old.txt" "$work/new.txt" >/dev/null
"$work/benchcompare" "$work/old.txt" "$work/new.txt" >/dev/null

t_bs=$(timeit benchstat "$work/benchstat" "$work/old.txt" "$work/new.txt")
t_bc=$(timeit benchcompare "$work/benchcompare" "$work/old.txt" "$work/new.txt")
awk -v bs="$t_bs" -v bc="$t_bc" 'BEGIN {
	printf "benchstat     %7.3f s\n", bs
	printf "benchcompare  %7.3f s\n", bc
	printf "ratio benchcompare/benchstat: %.2f (target <= 1)\n", bc / bs
}'
