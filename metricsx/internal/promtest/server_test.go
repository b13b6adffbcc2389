//go:build unix

package promtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nativego/nativego/metricsx"
)

// TestPrometheusServer starts a real Prometheus server that scrapes
// WritePrometheus over loopback, and reads the series back through its
// HTTP query API.
func TestPrometheusServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Prometheus server; skipped in -short mode")
	}
	bin := mustHaveTool(t, "prometheus", "prometheus")
	labels := []metricsx.PromLabel{{Name: "goarch", Value: runtime.GOARCH}, {Name: "translated", Value: "0"}}
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		metricsx.WritePrometheus(w, metricsx.ReadSnapshot(), metricsx.PromOptions{Labels: labels})
	}))
	defer target.Close()

	dir := t.TempDir()
	config := fmt.Sprintf("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: metricsx\n    static_configs:\n      - targets: [%q]\n",
		strings.TrimPrefix(target.URL, "http://"))
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(t.Context())
	var log strings.Builder
	cmd := exec.CommandContext(ctx, bin,
		"--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--log.level=warn")
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cancel()
		<-exited
	}()

	api := "http://" + addr + "/api/v1/query?query="
	// The first scrape comes within a second or so of the start; wait
	// for its series, or for Prometheus to exit.
	deadline := time.Now().Add(60 * time.Second)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var res []promSample
	for {
		var err error
		res, err = query(ctx, api+url.QueryEscape(`go_sched_gomaxprocs_threads{job="metricsx"}`))
		if err == nil && len(res) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no series from Prometheus after 60 s (last error %v); its log:\n%s", err, log.String())
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("prometheus exited: %v\n%s", err, log.String())
		case <-tick.C:
		}
	}
	s := res[0]
	if s.Metric["goarch"] != runtime.GOARCH || s.Metric["translated"] != "0" || s.Value != strconv.Itoa(runtime.GOMAXPROCS(0)) {
		t.Errorf("go_sched_gomaxprocs_threads = %+v, want %d with the constant labels", s, runtime.GOMAXPROCS(0))
	}
	// Every family of one scrape arrived, and the histograms work as
	// histograms.
	for q, check := range map[string]func(string) error{
		`count({job="metricsx",__name__=~"go_.+|process_.+"})`: func(v string) error {
			if n, _ := strconv.Atoi(v); n < 200 {
				return fmt.Errorf("%s series", v)
			}
			return nil
		},
		`histogram_quantile(0.5, go_sched_latencies_seconds_bucket{job="metricsx"})`: func(v string) error {
			if f, err := strconv.ParseFloat(v, 64); err != nil || f < 0 {
				return fmt.Errorf("median scheduling latency %s", v)
			}
			return nil
		},
		`go_info{job="metricsx"}`: func(v string) error {
			if v != "1" {
				return fmt.Errorf("go_info %s", v)
			}
			return nil
		},
	} {
		res, err := query(ctx, api+url.QueryEscape(q))
		if err != nil || len(res) != 1 {
			t.Errorf("%s: %v, %d results", q, err, len(res))
			continue
		}
		if err := check(res[0].Value); err != nil {
			t.Errorf("%s: %v", q, err)
		}
		t.Logf("%s = %s", q, res[0].Value)
	}
}

// freeAddr returns a loopback address with a port that was free a moment
// ago: Prometheus has no way to report the port it picked for :0.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

type promSample struct {
	Metric map[string]string
	Value  string
}

// query runs an instant query and returns its vector.
func query(ctx context.Context, u string) ([]promSample, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r struct {
		Status string
		Error  string
		Data   struct {
			Result []struct {
				Metric map[string]string
				Value  [2]any
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, err
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("query: %s", r.Error)
	}
	var out []promSample
	for _, x := range r.Data.Result {
		v, _ := x.Value[1].(string)
		out = append(out, promSample{Metric: x.Metric, Value: v})
	}
	return out, nil
}
