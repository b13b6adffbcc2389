package toolchain

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestResolve checks symbolic link resolution inside a root against real
// links: absolute targets and ".." stay inside the root, loops end.
func TestResolve(t *testing.T) {
	root := t.TempDir()
	mk := func(name string) {
		if err := os.MkdirAll(filepath.Join(root, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ln := func(target, name string) {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	mk("usr/lib/go-1.27/bin")
	mk("etc/alternatives")
	mk("usr/bin")
	ln("/usr/lib/go-1.27/bin", "etc/alternatives/gobin")
	ln("../../etc/alternatives/gobin", "usr/bin/gobin")
	ln("../../../../../../../usr", "usr/bin/up") // climbs past the root
	ln("loop2", "usr/bin/loop1")
	ln("loop1", "usr/bin/loop2")

	tests := []struct {
		name, in, want string
		err            error
	}{
		{name: "absolute target stays in root", in: "/etc/alternatives/gobin", want: "/usr/lib/go-1.27/bin"},
		{name: "relative chain", in: "/usr/bin/gobin", want: "/usr/lib/go-1.27/bin"},
		{name: "dotdot stops at root", in: "/usr/bin/up/lib", want: "/usr/lib"},
		{name: "plain", in: "/usr/lib/go-1.27", want: "/usr/lib/go-1.27"},
		{name: "loop", in: "/usr/bin/loop1", err: errLinkLoop},
		{name: "missing", in: "/nonexistent/x", err: fs.ErrNotExist},
	}
	r := newRootFS(root)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.resolve(tt.in)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("resolve(%q) = %q, %v; want error %v", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("resolve(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			// The memoized form must agree.
			if got2, err := r.resolveFile(tt.in); err != nil || got2 != tt.want {
				t.Errorf("resolveFile(%q) = %q, %v; want %q", tt.in, got2, err, tt.want)
			}
		})
	}
}
