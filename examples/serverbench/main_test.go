package main

import (
	"bytes"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
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
			got := fmt.Sprintf("%s\nexit %d\n%s", stdout.Bytes(), code, stderr.Bytes())
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
