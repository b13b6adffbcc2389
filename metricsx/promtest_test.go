package metricsx_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nativego/nativego/internal/testenv"
)

// TestPromConformance runs the tests of the nested module
// internal/promtest, which the go command never matches from the root
// module: expfmt parsing, `promtool check metrics`, a real Prometheus
// server scraping WritePrometheus, and the comparison with client_golang
// (its benchmark runs a few iterations, to keep it working; measure it
// with scripts/prom-speed.sh).
func TestPromConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test in metricsx/internal/promtest, which downloads Prometheus modules and starts a Prometheus server; skipped in -short mode")
	}
	// Outside CI, a machine without Prometheus (Debian's prometheus
	// package: prometheus and promtool) skips here rather than spend
	// minutes compiling Prometheus' libraries on a cold build cache for
	// the one check (expfmt) that would not skip inside; in CI they must
	// be there.
	if !testenv.InCI() {
		for _, tool := range []string{"promtool", "prometheus"} {
			if _, err := exec.LookPath(tool); err != nil {
				t.Skipf("%s not found (Debian package prometheus): the nested module's conformance tests need it", tool)
			}
		}
	}
	dir, err := filepath.Abs(filepath.Join("internal", "promtest"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := testenv.GoCommand(t, "test", "-count=1", "-bench=Scrape", "-benchtime=20x", ".")
	cmd.Dir = dir
	// GOFLAGS of the root (such as -mod=vendor) need not suit the nested
	// module; GOWORK would pull it into a workspace.
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	t.Logf("go test in %s:\n%s", dir, out)
	if err != nil {
		if s := string(out); !testenv.InCI() && (strings.Contains(s, "dial tcp") || strings.Contains(s, "lookup ")) {
			t.Skipf("cannot download the nested module's dependencies: %v", err)
		}
		t.Fatalf("go test in %s: %v", dir, err)
	}
}
