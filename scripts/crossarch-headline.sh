#!/bin/sh
# crossarch-headline.sh regenerates the headline table: the official Go
# toolchain for linux/amd64 (native) against the one for linux/arm64
# under qemu-user, from the Go module proxy. See scripts/crossarch.
#
#   scripts/crossarch-headline.sh [-quick] [-emu auto|binfmt|toolexec] [-n rounds] [-o dir]
#
# The full run builds hello-world with a fresh GOCACHE 6 times per
# toolchain; the emulated build alone takes minutes each. -quick
# replaces the build by one compile and is what CI runs (< 3 min on an
# idle 2-core machine). binfmt_misc needs root; without it -emu auto
# falls back to -toolexec qemu-aarch64.
set -eu
cd "$(dirname "$0")/.."
exec go run ./scripts/crossarch "$@"
