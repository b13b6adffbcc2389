//go:build linux

package metricsx

import (
	"bytes"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/nativego/nativego/internal/testenv"
)

var screenshot = flag.String("screenshot", "", "with TestPageInChromium, also save a screenshot of the page to this PNG `file`")

// TestPageInChromium renders the live page in headless Chromium, watching
// this process and a second, real process (a copy of the test binary
// serving Handler on loopback), and checks in the DOM Chromium dumps that
// every chart drew a line with data points for both.
func TestPageInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium and a second process")
	}
	testenv.Chromium(t)
	remoteURL := startHelper(t)
	client := &http.Client{Timeout: 10 * time.Second}
	page := &Page{
		Local:      &Sampler{},
		Remote:     &Sampler{Source: HTTPSource(client, remoteURL), OnError: func(err error) { t.Errorf("fetching the helper's metrics: %v", err) }},
		RemoteName: "helper process",
	}
	// Sample directly, without a timer: each fetch takes real time, so
	// the windows have positive lengths.
	for range 6 {
		page.Local.Sample(t.Context())
		page.Remote.Sample(t.Context())
	}
	srv := httptest.NewServer(page)
	defer srv.Close()

	dir := t.TempDir()
	// --virtual-time-budget lets the page's script run its first fetch and
	// draw before the DOM is dumped, without waiting in real time.
	cmd := testenv.ChromiumCommand(t.Context(), t, filepath.Join(dir, "profile"),
		"--virtual-time-budget=5000", "--window-size=1280,900", "--dump-dom", srv.URL+"/")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	dom, err := cmd.Output()
	killHelperGroup(cmd) // Chromium's helpers, should any remain
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.Bytes())
	}
	lines := regexp.MustCompile(`<polyline [^>]*data-role="(local|remote)" data-metric="([a-z0-9_]+)" data-points="(\d+)"`).FindAllSubmatch(dom, -1)
	drawn := map[string]int{}
	for _, m := range lines {
		n, _ := strconv.Atoi(string(m[3]))
		drawn[string(m[1])+" "+string(m[2])] = n
	}
	for _, role := range []string{"local", "remote"} {
		for _, metric := range []string{"heap", "heap_goal", "alloc_rate", "gc_p99", "gc_p50", "sched_p99", "sched_p50"} {
			if n := drawn[role+" "+metric]; n != 5 {
				t.Errorf("%s %s: %d points drawn, want 5 (one per window)", role, metric, n)
			}
		}
	}
	if !bytes.Contains(dom, []byte("helper process")) {
		t.Error("the legend does not name the second process")
	}
	if t.Failed() {
		t.Logf("DOM:\n%s", dom)
	}

	if *screenshot != "" {
		out, err := filepath.Abs(*screenshot)
		if err != nil {
			t.Fatal(err)
		}
		cmd := testenv.ChromiumCommand(t.Context(), t, filepath.Join(dir, "profile2"),
			"--virtual-time-budget=5000", "--window-size=1280,900", "--hide-scrollbars", "--screenshot="+out, srv.URL+"/")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("chromium --screenshot: %v\n%s", err, b)
		}
		killHelperGroup(cmd)
		if _, err := os.Stat(out); err != nil {
			t.Fatal(err)
		}
	}
}
