#!/bin/sh
# mkcaptures.sh GO VERSION: remakes testdata/gctrace-*-VERSION.{txt,metrics}
# with the go command GO (which must report VERSION), on this machine.
# Run from metricsx/testdata. The .txt files are the program's standard
# error, the .metrics files its standard output: runtime/metrics counts
# that the tests compare the parsed trace with.
set -e
GO=$1 V=$2
"$GO" version | grep -q " $V " || { echo "$GO is not $V" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Go 1.26 has the goroutineleak profile behind an experiment; 1.27 has it on.
leakexp=
case $V in go1.26*) leakexp=goroutineleakprofile ;; esac
(cd gcprog && GOTOOLCHAIN=local "$GO" build -o "$tmp/gcprog" main.go &&
	GOTOOLCHAIN=local GOEXPERIMENT=$leakexp "$GO" build -o "$tmp/gcprog-leak" main.go)
GODEBUG=gctrace=1 "$tmp/gcprog" -cycles 30 -forced 5 >gctrace-$V.metrics 2>gctrace-$V.txt
GODEBUG=gctrace=1 "$tmp/gcprog-leak" -cycles 4 -forced 0 -leak >gctrace-leak-$V.metrics 2>gctrace-leak-$V.txt
GODEBUG=gctrace=1 "$tmp/gcprog" -cycles 40 -forced 0 -noise >gctrace-noise-$V.metrics 2>gctrace-noise-$V.txt
