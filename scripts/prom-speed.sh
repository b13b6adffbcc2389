#!/usr/bin/env bash
# prom-speed.sh compares the cost of one scrape of every runtime metric:
# metricsx.WritePrometheus against client_golang's Gather plus text
# encoding, side by side in metricsx/internal/promtest (BenchmarkScrape),
# and prints benchstat's table with the exporter as the column.
#
#   scripts/prom-speed.sh [COUNT]        (COUNT defaults to 10)
set -euo pipefail

count=${1:-10}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT

(cd "$here/../metricsx/internal/promtest" &&
	GOFLAGS= GOWORK=off go test -run '^$' -bench Scrape -count "$count" . | tee "$out")
echo
GOFLAGS= go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da -col /exporter "$out"
