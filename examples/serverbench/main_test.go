package main

import (
	"bytes"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestGolden(t *testing.T) {
	raw := filepath.Join("testdata", "frameworks-raw.txt")
	for _, tt := range []struct {
		name  string
		args  []string
		spawn bool // starts a server
	}{
		{name: "no-server"},
		{name: "bad-server", args: []string{"-server", "nameonly"}},
		{name: "bad-format", args: []string{"-server", "a=/bin/true", "-format", "xml"}},
		{name: "in-and-server", args: []string{"-server", "a=/bin/true", "-in", raw}},
		{name: "remote", args: []string{"-server", "a=/bin/true", "-addr", "192.0.2.1:80"}},
		{name: "exits", args: []string{"-server", "false=/bin/false", "-ready-timeout", "20s"}, spawn: true},
		{name: "md", args: []string{"-in", raw}},
		{name: "text", args: []string{"-in", raw, "-format", "text"}},
		{name: "json", args: []string{"-in", raw, "-json"}},
		{name: "svg", args: []string{"-in", raw, "-format", "svg"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if tt.spawn {
				if testing.Short() && emulated() {
					t.Skip("starts a server under qemu-user; skipped in -short")
				}
				if _, err := os.Stat("/bin/false"); err != nil {
					t.Skip("no /bin/false")
				}
				args = append(args, "-addr", freeAddr(t))
			}
			var stdout, stderr bytes.Buffer
			code := run(&stdout, &stderr, args)
			got := fmt.Sprintf("%s\nexit %d\n%s", roundFloats(stdout.Bytes()), code, stderr.Bytes())
			golden := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o666); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("run(%q) mismatch (-want +got):\n%s", args, diff)
			}
		})
	}
}

// longFloat matches numbers printed with all the digits of a float64.
var longFloat = regexp.MustCompile(`-?[0-9]+\.[0-9]{9,}(e[-+][0-9]+)?`)

// roundFloats rounds long numbers to 9 significant digits: arm64 fuses
// multiply-adds that amd64 does not, and the last digits differ.
func roundFloats(b []byte) []byte {
	return longFloat.ReplaceAllFunc(b, func(m []byte) []byte {
		v, err := strconv.ParseFloat(string(m), 64)
		if err != nil {
			return m
		}
		return strconv.AppendFloat(nil, v, 'g', 9, 64)
	})
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// emulated reports whether this test binary runs under qemu-user,
// which keeps its own name in /proc/self/status.
func emulated() bool {
	b, _ := os.ReadFile("/proc/self/status")
	name, _, _ := strings.Cut(string(b), "\n")
	return strings.Contains(name, "qemu-")
}
