#!/usr/bin/env bash
# modverify-speed.sh times modaudit.VerifyCache against "go mod verify" on
# the same warm module cache of a module with 100+ dependencies.
#
#   scripts/modverify-speed.sh [WORKDIR]   (default /tmp/modverify-speed)
#
# The first run prepares WORKDIR: a module importing
# github.com/prometheus/client_golang, github.com/spf13/cobra,
# go.opentelemetry.io/otel/sdk, google.golang.org/grpc and
# k8s.io/client-go (about 120 modules, 480 MB extracted), downloaded
# through the Go module proxy into WORKDIR/gomodcache. Later runs are
# offline. Both contenders run once untimed to warm the page cache, then
# side by side (hyperfine when present, else a loop of $RUNS runs each);
# the ratio of the means is printed, wall-clock and CPU.
set -euo pipefail

work=${1:-/tmp/modverify-speed}
runs=${RUNS:-3}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work/mod"

# Build the driver with the caller's environment, before switching to the
# private module cache.
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
(cd "$here/.." && go build -o "$bin/modverify" ./scripts/modverify)
gobin=$(command -v go)

export GOMODCACHE="$work/gomodcache" GOPATH="$work/gopath" GOFLAGS=-modcacherw GOTOOLCHAIN=local GOWORK=off GOENV=off

if [[ ! -f $work/mod/go.sum ]]; then
	cat >"$work/mod/go.mod" <<'GOMOD'
module example.com/modverifyspeed

go 1.26
GOMOD
	cat >"$work/mod/main.go" <<'GOSRC'
package main

import (
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/spf13/cobra"
	_ "go.opentelemetry.io/otel/sdk/trace"
	_ "google.golang.org/grpc"
	_ "k8s.io/client-go/kubernetes"
)

func main() {}
GOSRC
	(cd "$work/mod" &&
		go get k8s.io/client-go@v0.37.2 github.com/prometheus/client_golang@v1.25.0 \
			google.golang.org/grpc@v1.85.0 github.com/spf13/cobra@v1.10.2 go.opentelemetry.io/otel/sdk@v1.47.0 &&
		go mod tidy && go mod download all) >"$work/prepare.log" 2>&1 || {
		rm -f "$work/mod/go.sum"
		echo "modverify-speed: preparing the module failed (is the Go module proxy reachable?):" >&2
		tail -5 "$work/prepare.log" >&2
		exit 1
	}
fi
export GOPROXY=off

cd "$work/mod"
mods=$(go list -m all | tail -n +2 | wc -l)
files=$(find "$GOMODCACHE" -path "$GOMODCACHE/cache" -prune -o -type f -print | wc -l)
echo "module graph:      $mods modules besides the main one; $files extracted files in the cache; $(nproc) cores"
echo "go mod verify:     $("$gobin" mod verify 2>&1 | tail -1)"
echo "modaudit:          $("$bin/modverify" 2>&1 | tail -1)"

if command -v hyperfine >/dev/null; then
	hyperfine -N --warmup 1 --runs "$runs" --export-json "$bin/h.json" \
		-n "go mod verify" "$gobin mod verify" \
		-n "modaudit.VerifyCache" "$bin/modverify" >"$bin/h.txt"
	sed -n '/Benchmark/,$p' "$bin/h.txt"
	read -r go_mean mine_mean go_cpu mine_cpu < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print(r[0]["mean"], r[1]["mean"], r[0]["user"] + r[0]["system"], r[1]["user"] + r[1]["system"])' "$bin/h.json")
else
	# CPU time from /usr/bin/time, wall time from date, alternating runs.
	"$gobin" mod verify >/dev/null
	"$bin/modverify" >/dev/null
	: >"$bin/go.t"
	: >"$bin/mine.t"
	for _ in $(seq "$runs"); do
		/usr/bin/time -a -o "$bin/go.t" -f '%e %U %S' "$gobin" mod verify >/dev/null
		/usr/bin/time -a -o "$bin/mine.t" -f '%e %U %S' "$bin/modverify" >/dev/null
	done
	read -r go_mean go_cpu < <(awk '{w += $1; c += $2 + $3; n++} END {print w / n, c / n}' "$bin/go.t")
	read -r mine_mean mine_cpu < <(awk '{w += $1; c += $2 + $3; n++} END {print w / n, c / n}' "$bin/mine.t")
fi

awk -v g="$go_mean" -v m="$mine_mean" -v gc="$go_cpu" -v mc="$mine_cpu" -v runs="$runs" -v load="$(cut -d' ' -f1 /proc/loadavg 2>/dev/null)" 'BEGIN {
	printf "means of %d runs (load average at the end: %s)\n", runs, load
	printf "go mod verify:                  %.3f s wall, %.3f s CPU (user+sys)\n", g, gc
	printf "modaudit.VerifyCache:           %.3f s wall, %.3f s CPU (user+sys)\n", m, mc
	printf "ratio go mod verify / modaudit: %.2fx wall, %.2fx CPU\n", g / m, gc / mc
}'
