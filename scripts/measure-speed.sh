#!/bin/sh
# measure-speed.sh times /bin/true and a 50 ms sleep with benchkit.Measure
# and with hyperfine (Debian package hyperfine) side by side: medians
# must agree within 5% or 0.3 ms, and benchkit's own overhead per run
# should be no larger than hyperfine's (ratio printed). One run each;
# on a busy machine repeat it.
#
#   scripts/measure-speed.sh [-runs N] [-warmup N] [command ...]
set -eu
cd "$(dirname "$0")/.."
exec go run ./scripts/measurespeed "$@"
