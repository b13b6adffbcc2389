#!/usr/bin/env bash
# verify-speed.sh times toolchain.Verify against plain sha256sum over the
# same Go tree, in one run.
#
#   scripts/verify-speed.sh [DIR]        (DIR defaults to $(go env GOROOT))
#
# A first, untimed Verify asks the checksum database for the tree's
# expected hash (and warms the page cache for both contenders); the timed
# Verify then runs offline with that go.sum line, so both timings measure
# walking and hashing the tree, not the network.
set -euo pipefail

dir=${1:-$(go env GOROOT)}
here=$(cd "$(dirname "$0")" && pwd)
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT

(cd "$here/.." && go build -o "$bin/verifytree" ./scripts/verifytree)

json=$("$bin/verifytree" -nodiff "$dir" 2>/dev/null || true)
module=$(printf '%s\n' "$json" | sed -n 's/^  "module": "\(.*\)",$/\1/p')
expected=$(printf '%s\n' "$json" | sed -n 's/^  "expected": "\(.*\)",$/\1/p')
if [[ -z $module || -z $expected ]]; then
	echo "verify-speed: no expected hash for $dir:" >&2
	printf '%s\n' "$json" >&2
	exit 1
fi
gosum="${module%@*} ${module#*@} $expected"

now() { date +%s%N; }

# files_of lists the files Verify hashes: all but the top-level api/,
# doc/, misc/ and test/ directories, which the release module leaves out.
files_of() {
	find "$1" \( -path "$1/api" -o -path "$1/doc" -o -path "$1/misc" -o -path "$1/test" \) -prune \
		-o -type f -print0
}

t0=$(now)
"$bin/verifytree" -nodiff -gosum "$gosum" "$dir" >/dev/null 2>&1 || true
t1=$(now)
files_of "$dir" | xargs -0 sha256sum >/dev/null
t2=$(now)

verify_ns=$((t1 - t0))
sha_ns=$((t2 - t1))
files=$(files_of "$dir" | tr -cd '\0' | wc -c)
awk -v v="$verify_ns" -v s="$sha_ns" -v f="$files" -v d="$dir" 'BEGIN {
	printf "tree:                          %s (%d files)\n", d, f
	printf "toolchain.Verify (offline):    %.3f s\n", v / 1e9
	printf "files | xargs sha256sum:       %.3f s\n", s / 1e9
	printf "ratio Verify / sha256sum:      %.2f\n", v / s
}'
