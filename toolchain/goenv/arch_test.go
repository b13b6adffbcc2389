package goenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/nativego/nativego/internal/testenv"
)

func TestGOBINForeignBinaries(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles two binaries")
	}
	s := newSetup(t)
	gobin := filepath.Join(s.dir, "gobin")
	if err := os.MkdirAll(gobin, 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, testenv.Build(t, testenv.BuildSpec{GOOS: "darwin", GOARCH: "amd64"}), filepath.Join(gobin, "intel-tool"), 0o755)
	copyFile(t, testenv.Build(t, testenv.BuildSpec{GOOS: "darwin", GOARCH: "arm64"}), filepath.Join(gobin, "native-tool"), 0o755)
	s.set("GOBIN", gobin)
	fs, err := AuditArch(t.Context(), s.resolve(), &ArchOptions{Host: darwinARM64Host(), NoRunCC: true})
	if err != nil {
		t.Fatal(err)
	}
	f, ok := findID(fs, "ARCH-GOBIN-FOREIGN")
	if !ok {
		t.Fatalf("no ARCH-GOBIN-FOREIGN; got %v", fs)
	}
	if !strings.Contains(f.Message, "intel-tool (translated)") || strings.Contains(f.Message, "native-tool") {
		t.Errorf("message = %q", f.Message)
	}
	if f.Fix != "go install example.com/nativegotest@latest" {
		t.Errorf("fix = %q", f.Fix)
	}
}

// TestCCTargetMismatch runs the real C compiler: with GOARCH set to
// another architecture and cgo forced on, its target differs.
func TestCCTargetMismatch(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the C compiler")
	}
	cc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("no gcc on PATH")
	}
	other := "arm64"
	if runtime.GOARCH == "arm64" {
		other = "amd64"
	}
	s := newSetup(t)
	s.set("GOARCH", other, "CGO_ENABLED", "1", "CC", cc)
	fs, err := AuditArch(t.Context(), s.resolve(), &ArchOptions{Host: testHost()})
	if err != nil {
		t.Fatal(err)
	}
	if f, ok := findID(fs, "CC-TARGET-MISMATCH"); !ok || !strings.Contains(f.Fix, "go env -w") {
		t.Errorf("CC-TARGET-MISMATCH = %+v, %v; all %v", f, ok, fs)
	}
	s.set("GOARCH", runtime.GOARCH)
	fs, _ = AuditArch(t.Context(), s.resolve(), &ArchOptions{Host: testHost()})
	if f, ok := findID(fs, "CC-TARGET-MISMATCH"); ok {
		t.Errorf("native GOARCH: unexpected %v", f)
	}
}

func testHost() *Host { return hostOf(runtime.GOOS, runtime.GOARCH) }
