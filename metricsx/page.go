package metricsx

import (
	"context"
	_ "embed"
	"encoding/json"
	"math"
	"net/http"
	"sync"
)

// pageHTML is the live page: one HTML file with its style and script
// inline, so that it works on machines without network access.
//
// The charts are drawn by hand as SVG by about 200 lines of script rather
// than by a charting library from npm (statsviz embeds one): four line
// charts with a shared time axis need little more than scaling, ticks and
// polylines, and a library would add a dependency of a few hundred
// kilobytes to audit and update for that.
//
//go:embed page.html
var pageHTML []byte

// A Page is an http.Handler serving a live page that plots, over time,
// the heap, the allocation rate, GC pauses and scheduler latency of this
// process and, side by side on one time axis, of a second process (for
// example the same program built natively and translated by Rosetta 2).
//
// The history lives in the server, in the rings of two [Sampler]s; the
// page asks for it every second, so a reloaded page still shows the past.
// Typical use:
//
//	page := &metricsx.Page{
//		Local:  new(metricsx.Sampler),
//		Remote: &metricsx.Sampler{Source: metricsx.HTTPSource(nil, "http://127.0.0.1:6061/metrics")},
//	}
//	go page.Run(ctx)
//	http.Handle("/debug/metricsx/", page)
//
// The page fetches its data from its own URL with the query "?data"; the
// data is JSON described at [PageData].
type Page struct {
	// Local samples this process (Source nil). May be nil.
	Local *Sampler
	// LocalName labels Local's series; "this process" when empty.
	LocalName string
	// Remote samples a second process through HTTPSource. May be nil.
	Remote *Sampler
	// RemoteName labels Remote's series; "other process" when empty.
	RemoteName string
}

// Run runs the page's samplers until ctx is done and returns ctx's error,
// or the first sampler's error.
func (p *Page) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, s := range []*Sampler{p.Local, p.Remote} {
		if s == nil {
			continue
		}
		wg.Go(func() {
			errs <- s.Run(ctx)
			cancel()
		})
	}
	wg.Wait()
	close(errs)
	err := ctx.Err()
	for e := range errs {
		if e != nil && e != context.Canceled {
			return e
		}
	}
	return err
}

// PageData is the JSON a Page serves for "?data": one series per sampled
// process. The page draws from it; other tools may too.
type PageData struct {
	Series []PageSeries `json:"series"`
}

// A PageSeries is the history of one process, as columns of equal length,
// one entry per window between consecutive samples, oldest first.
type PageSeries struct {
	Name      string `json:"name"`
	Role      string `json:"role"` // "local" or "remote"
	GoVersion string `json:"go_version"`
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	Samples   uint64 `json:"samples"`
	Errors    uint64 `json:"errors"`
	Resets    uint64 `json:"resets"`

	Time            []int64   `json:"t"`          // window end, milliseconds since the Unix epoch
	HeapBytes       []uint64  `json:"heap"`       // Summary.HeapBytes
	HeapGoalBytes   []uint64  `json:"heap_goal"`  // Summary.HeapGoalBytes
	AllocBytesPerS  []float64 `json:"alloc_rate"` // Summary.AllocBytesPerSec
	GCPauseP50      []float64 `json:"gc_p50"`     // seconds
	GCPauseP99      []float64 `json:"gc_p99"`     // seconds
	GCPauseMax      []float64 `json:"gc_max"`     // seconds
	SchedLatencyP50 []float64 `json:"sched_p50"`  // seconds
	SchedLatencyP99 []float64 `json:"sched_p99"`  // seconds
}

// Data returns the page's data.
func (p *Page) Data() PageData {
	var d PageData
	add := func(s *Sampler, role, name string) {
		if s == nil {
			return
		}
		var ps PageSeries
		ps.Name, ps.Role = name, role
		var latest Snapshot
		if s.Latest(&latest) {
			ps.GoVersion, ps.GOOS, ps.GOARCH = latest.GoVersion(), latest.GOOS(), latest.GOARCH()
		}
		st := s.Stats()
		ps.Samples, ps.Errors, ps.Resets = st.Samples, st.Errors, st.Resets
		sums := s.Summaries(nil)
		n := len(sums)
		ps.Time = make([]int64, 0, n)
		ps.HeapBytes, ps.HeapGoalBytes = make([]uint64, 0, n), make([]uint64, 0, n)
		ps.AllocBytesPerS = make([]float64, 0, n)
		ps.GCPauseP50, ps.GCPauseP99, ps.GCPauseMax = make([]float64, 0, n), make([]float64, 0, n), make([]float64, 0, n)
		ps.SchedLatencyP50, ps.SchedLatencyP99 = make([]float64, 0, n), make([]float64, 0, n)
		for _, sm := range sums {
			ps.Time = append(ps.Time, sm.Time.UnixMilli())
			ps.HeapBytes = append(ps.HeapBytes, sm.HeapBytes)
			ps.HeapGoalBytes = append(ps.HeapGoalBytes, sm.HeapGoalBytes)
			ps.AllocBytesPerS = append(ps.AllocBytesPerS, finite(sm.AllocBytesPerSec))
			ps.GCPauseP50 = append(ps.GCPauseP50, finite(sm.GCPauses.P50))
			ps.GCPauseP99 = append(ps.GCPauseP99, finite(sm.GCPauses.P99))
			ps.GCPauseMax = append(ps.GCPauseMax, finite(sm.GCPauses.Max))
			ps.SchedLatencyP50 = append(ps.SchedLatencyP50, finite(sm.SchedLatency.P50))
			ps.SchedLatencyP99 = append(ps.SchedLatencyP99, finite(sm.SchedLatency.P99))
		}
		d.Series = append(d.Series, ps)
	}
	add(p.Local, "local", cmpOr(p.LocalName, "this process"))
	add(p.Remote, "remote", cmpOr(p.RemoteName, "other process"))
	return d
}

// finite maps NaN and infinities, which JSON cannot hold, to 0.
func finite(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (p *Page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if r.URL.Query().Has("data") {
		b, err := json.Marshal(p.Data())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// The page loads nothing from elsewhere; say so to the browser too.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:")
	w.Write(pageHTML)
}
