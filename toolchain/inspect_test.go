package toolchain

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nativego/nativego/internal/testenv"
)

// TestReadExecutable checks the platform and Go version readExecutable
// reports for binaries cross-compiled to each executable format (and ELF
// for two OSes), against the build's own GOOS/GOARCH and `go version`.
func TestReadExecutable(t *testing.T) {
	tests := []struct{ goos, goarch string }{
		{"darwin", "arm64"}, {"darwin", "amd64"},
		{"linux", "amd64"}, {"linux", "arm64"}, {"linux", "386"}, {"linux", "riscv64"},
		{"windows", "amd64"}, {"windows", "arm64"},
		{"freebsd", "amd64"},
	}
	for _, tt := range tests {
		t.Run(tt.goos+"_"+tt.goarch, func(t *testing.T) {
			bin := testenv.Build(t, testenv.BuildSpec{GOOS: tt.goos, GOARCH: tt.goarch})
			out := string(testenv.Run(t, exec.CommandContext(t.Context(), testenv.GoTool(t), "version", bin)))
			_, wantVersion, _ := strings.Cut(strings.TrimSpace(out), ": ")

			dir, name := filepath.Split(bin)
			got, err := readExecutable(newRootFS(dir), "/"+name)
			if err != nil {
				t.Fatal(err)
			}
			want := exeInfo{goos: tt.goos, goarch: tt.goarch, version: wantVersion}
			if got != want {
				t.Errorf("readExecutable = %+v, want %+v", got, want)
			}
		})
	}
}
