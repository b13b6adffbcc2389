package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nativego/nativego/internal/testenv"
	"github.com/nativego/nativego/toolchain/modaudit"
)

// TestVendorAudit runs -vendor on a module whose vendor/modules.txt lost a
// requirement's "## explicit" marker, the state that makes "go build" fail
// with "inconsistent vendoring". The go command is the oracle for the
// message; the CLI must exit 1 and carry it in text and JSON.
func TestVendorAudit(t *testing.T) {
	goCmd := testenv.GoTool(t)
	dir := t.TempDir()
	write(t, filepath.Join(dir, "go.mod"), "module example.com/app\n\ngo 1.26\n\nrequire example.com/dep v1.0.0\n")
	write(t, filepath.Join(dir, "main.go"), "package main\n\nimport _ \"example.com/dep\"\n\nfunc main() {}\n")
	write(t, filepath.Join(dir, "vendor", "modules.txt"), "# example.com/dep v1.0.0\n## go 1.26\nexample.com/dep\n")
	write(t, filepath.Join(dir, "vendor", "example.com", "dep", "dep.go"), "package dep\n")

	cmd := testenv.GoCommand(t, "list", "-mod=vendor", "./...")
	cmd.Dir = dir
	cmd.Env = append(cmd.Environ(), "GOFLAGS=", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local")
	goOut, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("%s list -mod=vendor succeeded on a vendor directory without its explicit marker:\n%s", goCmd, goOut)
	}
	if !strings.Contains(string(goOut), "example.com/dep@v1.0.0: is explicitly required in go.mod, but not marked as explicit in vendor/modules.txt") {
		t.Fatalf("go list -mod=vendor said something else than the case under test:\n%s", goOut)
	}

	var stdout, stderr bytes.Buffer
	if code := run(&stdout, &stderr, []string{"-no-cc", "-vendor", dir}); code != 1 {
		t.Fatalf("goenv -vendor exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
	}
	if !strings.Contains(stdout.String(), "INCONSISTENT") || !strings.Contains(stdout.String(), "not marked as explicit in vendor/modules.txt") {
		t.Errorf("text output lacks the inconsistency:\n%s", &stdout)
	}

	stdout.Reset()
	if code := run(&stdout, &stderr, []string{"-no-cc", "-json", "-vendor", dir}); code != 1 {
		t.Fatalf("goenv -json -vendor exit %d, want 1; stderr:\n%s", code, &stderr)
	}
	var got struct {
		Vendor *modaudit.VendorReport `json:"vendor"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Vendor == nil || got.Vendor.Consistent || !got.Vendor.Present || len(got.Vendor.Problems) == 0 {
		t.Fatalf("JSON vendor = %+v, want present and inconsistent", got.Vendor)
	}
	if !strings.Contains(string(goOut), got.Vendor.Problems[0].Message) {
		t.Errorf("first problem %q is not in the go command's message:\n%s", got.Vendor.Problems[0].Message, goOut)
	}
}
