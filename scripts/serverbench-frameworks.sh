#!/usr/bin/env bash
# serverbench-frameworks.sh: the net/http vs Gin vs Echo table, measured.
# The three servers of benchkit/testdata/servers (the same JSON handler
# in each) are built natively and for linux/arm64, and serverbench loads
# all six in interleaved rounds (the arm64 builds run under qemu-user when
# the host is not arm64 and has no binfmt_misc handler, as archcheck's
# verdict says). It prints the Markdown table, then benchstat's table of
# the raw results for one metric, and leaves in OUTDIR:
#   raw.txt     the raw results (Go benchmark format)
#   table.md    the Markdown table
#   table.svg   the SVG chart, and table.png when rsvg-convert is installed
#
#   scripts/serverbench-frameworks.sh [-c CONNS] [-d DURATION] [-n ROUNDS] [-o OUTDIR]
#
# Defaults: 32 connections, 3s per round, 6 rounds, GET /json. Needs
# qemu-user (Debian package qemu-user) on a non-arm64 host, and
# librsvg2-bin for the PNG. The generator and the servers share the
# machine's CPUs: on a busy machine the numbers are noisy.
set -euo pipefail
conns=32 dur=3s rounds=6 out=
while getopts c:d:n:o: o; do
	case $o in
	c) conns=$OPTARG ;; d) dur=$OPTARG ;; n) rounds=$OPTARG ;; o) out=$OPTARG ;;
	*) echo "usage: $0 [-c CONNS] [-d DURATION] [-n ROUNDS] [-o OUTDIR]" >&2; exit 2 ;;
	esac
done
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${out:-$(mktemp -d)}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

native=$(go env GOARCH)
if [ "$native" != arm64 ] && ! command -v qemu-aarch64 >/dev/null; then
	echo "qemu-aarch64 not found (Debian package qemu-user)" >&2
	exit 1
fi
echo "building net/http, Gin and Echo for linux/$native and linux/arm64" >&2
(cd "$repo/benchkit/testdata/servers" &&
	CGO_ENABLED=0 go build -o "$work/$native/" ./nethttp ./gin ./echo &&
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -o "$work/arm64/" ./nethttp ./gin ./echo)
(cd "$repo/examples/serverbench" && go build -o "$work/serverbench" .)

# A port nothing listens on: every server in turn listens there.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
addr=127.0.0.1:$port
servers=() names=()
for arch in "$native" arm64; do
	for fw in nethttp gin echo; do
		servers+=(-server "$fw-$arch=$work/$arch/$fw -addr $addr")
		names+=("$fw-$arch")
	done
done

echo "host: $(uname -m), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); $(go version)"
echo "load: GET /json, $conns connections, $dur per round, $rounds interleaved rounds"
echo
"$work/serverbench" "${servers[@]}" -addr "$addr" -ready "http://$addr/health" -path /json \
	-c "$conns" -d "$dur" -rounds "$rounds" -o "$out/raw.txt" -svg "$out/table.svg" | tee "$out/table.md"
if command -v rsvg-convert >/dev/null; then
	rsvg-convert -b white -o "$out/table.png" "$out/table.svg"
fi

echo
echo "benchstat, req/s, one column per configuration:"
perf=$(cd "$repo" && go list -m -f '{{.Version}}' golang.org/x/perf)
go run "golang.org/x/perf/cmd/benchstat@$perf" -filter '.unit:req/s' -col "config@(${names[*]})" -table '' -ignore round "$out/raw.txt"
echo
echo "files in $out: raw.txt table.md table.svg$([ -f "$out/table.png" ] && echo ' table.png')" >&2
