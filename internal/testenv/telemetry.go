package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// QuietTelemetry turns Go telemetry off for go commands run with home as
// their HOME (Linux layout: home/.config/go/telemetry/mode), as
// "go telemetry off" would.
//
// With telemetry on or local, which is the default, the go command
// starts a child process that writes counter files under
// home/.config/go/telemetry after the go command itself has exited. In a
// test whose HOME is in t.TempDir, that child races the directory's
// removal, which then fails with "directory not empty" (seen in CI).
func QuietTelemetry(t testing.TB, home string) {
	t.Helper()
	dir := filepath.Join(home, ".config", "go", "telemetry")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "mode"), []byte("off\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
