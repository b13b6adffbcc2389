#!/usr/bin/env bash
# scan-speed.sh: how fast archscan walks a real tree, against the tools a
# developer would otherwise use, in one run on one warm cache.
#
#   scripts/scan-speed.sh [DIR]      (default /usr)
#
# It builds archscan once, reads DIR once to warm the page cache, then
# times, one after the other:
#   find DIR -type f                    the floor: walking without opening
#   archscan -json DIR                  every file opened and sniffed
#   go version -m DIR                   Go binaries only, with build info
#   find ... -print0 | xargs -0 file    libmagic over every file
# The first three run ROUNDS times (default 3, from the environment),
# interleaved, and the median wall time counts; file(1), a minute or more,
# runs once. It prints wall times, ratios against archscan (targets: go
# version -m at least 4x slower, file at least 50x slower), archscan's
# peak RSS, and whether archscan and go version -m found the same Go
# binaries with the same Go versions.
#
# Needs only Go on a Debian machine: it installs file(1) and GNU time
# with apt-get when they are missing (as root, or through sudo).
set -euo pipefail

dir=${1:-/usr}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

need() { # need COMMAND DEBIAN-PACKAGE
	command -v "$1" >/dev/null 2>&1 && return
	local sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	echo "installing $2 for $1" >&2
	$sudo apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$2" >&2
}
need file file
need /usr/bin/time time

echo "building archscan" >&2
(cd "$repo" && go build -o "$work/archscan" ./examples/archscan)

rounds=${ROUNDS:-3}

# now prints seconds since the epoch with nanoseconds.
now() { date +%s.%N; }
# timed NAME CMD...: runs CMD with stdout to $work/NAME.out, and appends
# its wall time to $work/NAME.times.
timed() {
	local name=$1
	shift
	local t0 t1
	t0=$(now)
	"$@" >"$work/$name.out" 2>"$work/$name.err" || true
	t1=$(now)
	awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.4f\n", b - a}' >>"$work/$name.times"
}
# median NAME prints the median of NAME's wall times.
median() { sort -n "$work/$1.times" | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "warming the cache over $dir" >&2
find "$dir" -type f -print0 | xargs -0 cat >/dev/null 2>&1 || true

for i in $(seq "$rounds"); do
	echo "round $i of $rounds" >&2
	timed find find "$dir" -type f
	timed archscan /usr/bin/time -v -o "$work/archscan.rusage" "$work/archscan" -json "$dir"
	timed goversion go version -m "$dir"
done
echo "file(1), once" >&2
timed file sh -c 'find "$1" -type f -print0 | xargs -0 file' sh "$dir"

declare -A wall
for name in find archscan goversion file; do
	wall[$name]=$(median "$name")
done

files=$(wc -l <"$work/find.out")
rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/archscan.rusage")

echo
echo "tree: $dir, $files regular files, $(nproc) cores, $(go version | cut -d' ' -f3), median of $rounds runs (file: 1)"
printf '%-34s %9s %9s\n' "command" "wall s" "/archscan"
row() { awk -v n="$1" -v t="$2" -v a="${wall[archscan]}" 'BEGIN{printf "%-34s %9.2f %8.1fx\n", n, t, t/a}'; }
row "find -type f (floor)" "${wall[find]}"
row "archscan -json" "${wall[archscan]}"
row "go version -m" "${wall[goversion]}"
row "find | xargs file" "${wall[file]}"
for name in find archscan goversion; do
	echo "$name runs (s): $(tr '\n' ' ' <"$work/$name.times")"
done
echo "archscan peak RSS: ${rss} KiB (GNU time, Maximum resident set size, last run)"
awk -v g="${wall[goversion]}" -v f="${wall[file]}" -v a="${wall[archscan]}" 'BEGIN{
	printf "target go version -m >= 4x: %s (%.1fx)\n", (g/a >= 4 ? "met" : "MISSED"), g/a
	printf "target file >= 50x: %s (%.1fx)\n", (f/a >= 50 ? "met" : "MISSED"), f/a
}'

# Compare the Go binaries both found, by real path (go version -m follows
# symbolic links, archscan reports the files they point to). go version -m
# prints "PATH: goVERSION" for each; archscan's JSON lines carry the Go version in their slices once
# archcheck reads Go build information (any string field named go_version
# or version whose value starts with "go" counts).
cat >"$work/compare.go" <<'EOF'
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

func goVersion(v any) string {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && (k == "go_version" || k == "version") && strings.HasPrefix(s, "go") {
				return s
			}
		}
		for _, x := range v {
			if s := goVersion(x); s != "" {
				return s
			}
		}
	case []any:
		for _, x := range v {
			if s := goVersion(x); s != "" {
				return s
			}
		}
	}
	return ""
}

func main() {
	scan := map[string]string{} // path -> Go version ("" if none reported)
	f, _ := os.Open(os.Args[1])
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var l map[string]any
		if json.Unmarshal(sc.Bytes(), &l) != nil {
			continue
		}
		p, _ := l["path"].(string)
		scan[p] = goVersion(l["slices"])
	}
	gv := map[string]string{}
	re := regexp.MustCompile(`^(/.*): (go[^ \t]+)$`)
	g, _ := os.Open(os.Args[2])
	sc = bufio.NewScanner(g)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			// go version -m follows symbolic links and reports the link;
			// archscan does not follow them and reports the file.
			p := m[1]
			if real, err := filepath.EvalSymlinks(p); err == nil {
				p = real
			}
			gv[p] = m[2]
		}
	}
	var missing, differ []string
	withVersion := 0
	for p, v := range gv {
		sv, ok := scan[p]
		switch {
		case !ok:
			missing = append(missing, p)
		case sv == "":
		case sv != v:
			differ = append(differ, fmt.Sprintf("%s: go version -m %s, archscan %s", p, v, sv))
		default:
			withVersion++
		}
	}
	extra := 0
	for p, v := range scan {
		if _, ok := gv[p]; !ok && v != "" {
			extra++
		}
	}
	sort.Strings(missing)
	sort.Strings(differ)
	fmt.Printf("go version -m found %d Go binaries; archscan listed %d of them as executables (%d missing)\n",
		len(gv), len(gv)-len(missing), len(missing))
	for _, p := range missing {
		fmt.Println("  missing from archscan:", p)
	}
	if withVersion+len(differ) == 0 {
		fmt.Println("archscan's JSON reports no Go versions yet: version comparison skipped")
	} else {
		fmt.Printf("same Go version: %d; different: %d; Go binaries only archscan found: %d\n", withVersion, len(differ), extra)
		for _, d := range differ {
			fmt.Println("  ", d)
		}
	}
}
EOF
echo
(cd "$work" && GOFLAGS= GO111MODULE=off go run compare.go "$work/archscan.out" "$work/goversion.out")
