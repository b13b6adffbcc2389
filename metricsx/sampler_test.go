package metricsx

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSamplerRingIsBounded(t *testing.T) {
	var jsonl bytes.Buffer
	s := &Sampler{Size: 4, JSONLines: &jsonl}
	ctx := t.Context()
	for range 10 {
		if err := s.Sample(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if s.Len() != 4 {
		t.Errorf("Len = %d, want 4", s.Len())
	}
	snaps := s.Snapshots()
	for i := 1; i < len(snaps); i++ {
		if !snaps[i].Time().After(snaps[i-1].Time()) {
			t.Errorf("snapshot %d at %v is not after %v", i, snaps[i].Time(), snaps[i-1].Time())
		}
	}
	if n := len(s.Summaries(nil)); n != 4 {
		t.Errorf("%d summaries, want 4 (the oldest sample's window ends in the ring too)", n)
	}
	if st := s.Stats(); st.Samples != 10 || st.Errors != 0 || st.Resets != 0 {
		t.Errorf("Stats = %+v", st)
	}
	// Every sample went to the JSON Lines stream, and reads back.
	r := NewReader(&jsonl, "sampler")
	var n int
	for r.Scan() {
		n++
	}
	if err := r.Err(); err != nil || n != 10 {
		t.Errorf("read back %d snapshots, %v; want 10", n, err)
	}
	var latest Snapshot
	if !s.Latest(&latest) || !latest.Time().Equal(snaps[3].Time()) {
		t.Errorf("Latest = %v, want %v", latest.Time(), snaps[3].Time())
	}
}

func TestSamplerSteadyStateAllocatesNothing(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage counters allocate")
	}
	s := &Sampler{Size: 3}
	ctx := context.Background()
	for range 5 {
		s.Sample(ctx)
	}
	if n := testing.AllocsPerRun(20, func() { s.Sample(ctx) }); n != 0 {
		t.Errorf("Sample allocates %v times", n)
	}
}

// TestSamplerDropsResets feeds a sampler a process that restarts.
func TestSamplerDropsResets(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	feed := []*Snapshot{
		fakeSnapshot(t0, 100, 1, 0, 0, 0, 0, 0),
		fakeSnapshot(t0.Add(time.Second), 200, 2, 0, 0, 0, 0, 0),
		fakeSnapshot(t0.Add(2*time.Second), 10, 0.1, 0, 0, 0, 0, 0), // restarted
		fakeSnapshot(t0.Add(3*time.Second), 110, 0.2, 0, 0, 0, 0, 0),
	}
	var i int
	s := &Sampler{Source: func(_ context.Context, dst *Snapshot) error {
		dst.CopyFrom(feed[i])
		i++
		return nil
	}}
	for range feed {
		s.Sample(t.Context())
	}
	sums := s.Summaries(nil)
	if len(sums) != 2 || s.Stats().Resets != 1 {
		t.Fatalf("%d summaries and %d resets, want 2 and 1", len(sums), s.Stats().Resets)
	}
	for _, sm := range sums {
		if sm.AllocBytesPerSec != 100 {
			t.Errorf("window ending %v: %v B/s, want 100", sm.Time, sm.AllocBytesPerSec)
		}
	}
}

// TestSamplerStopsAndLeavesNoGoroutines runs two samplers, one reading
// this process and one fetching it over HTTP from a real server on
// loopback, and checks that both return when their context ends and
// that no goroutine of theirs survives.
func TestSamplerStopsAndLeavesNoGoroutines(t *testing.T) {
	srv := httptest.NewServer(Handler(HandlerOptions{}))
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}

	before := goroutines()
	ctx, cancel := context.WithCancel(t.Context())
	local := &Sampler{Interval: time.Millisecond, Size: 8}
	remote := &Sampler{Interval: time.Millisecond, Size: 8, Source: HTTPSource(client, srv.URL),
		OnError: func(err error) { t.Errorf("fetching: %v", err) }}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, s := range []*Sampler{local, remote} {
		wg.Go(func() { errs[i] = s.Run(ctx) })
	}
	// Wait for real work, not for time: the ring filling up.
	for local.Len() < 8 || remote.Len() < 8 {
		runtime.Gosched()
	}
	cancel()
	wg.Wait()
	for _, err := range errs {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v, want context.Canceled", err)
		}
	}
	client.CloseIdleConnections()
	srv.Close()
	if leaked := waitForGoroutines(before); leaked != "" {
		t.Errorf("goroutines left after the samplers stopped:\n%s", leaked)
	}
}

func TestSamplerStopsOnWriteError(t *testing.T) {
	s := &Sampler{Interval: time.Hour, JSONLines: failingWriter{}}
	if err := s.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Run = %v, want the write error", err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// goroutines returns the stacks of the goroutines that run code of this
// package, other than the test's own.
func goroutines() map[string]bool {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	out := map[string]bool{}
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if strings.Contains(g, "metricsx.") && !strings.Contains(g, "metricsx.goroutines") && !strings.Contains(g, "testing.tRunner") {
			out[g[strings.Index(g, "\n")+1:]] = true
		}
		if strings.Contains(g, "net/http.(*persistConn)") || strings.Contains(g, "net/http.(*conn).serve") {
			out[g[strings.Index(g, "\n")+1:]] = true
		}
	}
	return out
}

// waitForGoroutines waits up to 10 s for goroutines that exist beyond
// those in before to end (closed connections end their goroutines
// asynchronously) and returns the stacks of those that did not.
func waitForGoroutines(before map[string]bool) string {
	deadline := time.Now().Add(10 * time.Second)
	for {
		var extra []string
		for g := range goroutines() {
			if !before[g] {
				extra = append(extra, g)
			}
		}
		if len(extra) == 0 {
			return ""
		}
		if time.Now().After(deadline) {
			return strings.Join(extra, "\n\n")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
