#!/bin/sh
# mkdata.sh regenerates the real benchmark files in this directory (see
# README.md). It takes about two minutes and needs qemu-aarch64.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/v1" encoding/base64
GOAMD64=v3 go test -c -o "$tmp/v3" encoding/base64
GOARCH=arm64 go test -c -o "$tmp/arm64" encoding/base64
flags="-test.run=^$ -test.bench=. -test.benchtime=20ms -test.count=1 -test.benchmem"
: >base64-v1.txt; : >base64-v3.txt; : >base64-native.txt; : >base64-qemu.txt
for round in 1 2 3 4 5 6 7 8 9 10; do
	"$tmp/v1" $flags >>base64-v1.txt
	"$tmp/v3" $flags >>base64-v3.txt
	load=$(cut -d' ' -f1 /proc/loadavg)
	if [ "$round" -le 6 ]; then
		{ printf 'config: native\nexec: native\ntranslated: false\nemulated: false\nround: %s\nmachine-loadavg: %s\nwarn-load: load average %s on %s CPUs when the run started\n' "$round" "$load" "$load" "$(nproc)"
		  "$tmp/v1" $flags; } >>base64-native.txt
		{ printf 'config: qemu\nexec: qemu-user\ntranslated: false\nemulated: true\nround: %s\nmachine-loadavg: %s\n' "$round" "$load"
		  qemu-aarch64 "$tmp/arm64" $flags; } >>base64-qemu.txt
	fi
done
