package promtest_test

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
	"time"
)

// inCI reports whether the tests run in CI, where a missing tool fails
// the test instead of skipping it (as internal/testenv does in the root
// module, which this module cannot import: it is internal there).
func inCI() bool { return os.Getenv("CI") == "true" }

// mustHaveTool returns the path of name, skipping (in CI: failing) t when
// it is not installed.
func mustHaveTool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if inCI() {
			t.Fatalf("CI=true but %s is not installed (Debian package %s): %v", name, pkg, err)
		}
		t.Skipf("%s not installed (Debian package %s): %v", name, pkg, err)
	}
	return p
}

// TestPromtool lints the output with `promtool check metrics`, which
// applies the Prometheus naming and format rules.
func TestPromtool(t *testing.T) {
	promtool := mustHaveTool(t, "promtool", "prometheus")
	for _, tc := range []struct {
		name string
		opts exportOpts
	}{
		{"plain", exportOpts{}},
		{"prefix and labels", exportOpts{prefix: "myapp_", labels: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), promtool, "check", "metrics")
			cmd.WaitDelay = 10 * time.Second
			cmd.Stdin = bytes.NewReader(export(t, tc.opts.promOptions()))
			out, err := cmd.CombinedOutput()
			if err != nil || len(bytes.TrimSpace(out)) > 0 {
				t.Errorf("promtool check metrics: %v\n%s", err, out)
			}
		})
	}
}
