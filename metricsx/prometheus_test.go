package metricsx_test

import (
	"bytes"
	"errors"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nativego/nativego/internal/testenv"
	"github.com/nativego/nativego/metricsx"
)

// decodeOne decodes a snapshot from one JSON line.
func decodeOne(t *testing.T, line string) *metricsx.Snapshot {
	t.Helper()
	r := metricsx.NewReader(strings.NewReader(line), "test")
	if !r.Scan() {
		t.Fatalf("decoding %s: %v", line, r.Err())
	}
	return r.Snapshot()
}

func TestWritePrometheusText(t *testing.T) {
	s := decodeOne(t, `{"schema":1,"time":"2026-12-02T10:00:00Z","go_version":"go1.26.8","goos":"linux","goarch":"amd64","metrics":[`+
		`{"name":"/gc/heap/allocs:bytes","kind":"uint64","cumulative":true,"value":1048576},`+
		`{"name":"/sched/gomaxprocs:threads","kind":"uint64","cumulative":false,"value":8},`+
		`{"name":"/gc/gogc:percent","kind":"uint64","cumulative":false,"value":100},`+
		`{"name":"/cpu/classes/gc/mark/assist:cpu-seconds","kind":"float64","cumulative":true,"value":0.25},`+
		`{"name":"/x/rate:bytes/second","kind":"float64","cumulative":false,"value":1.5},`+
		`{"name":"/toplevel:bytes","kind":"uint64","cumulative":false,"value":1},`+
		`{"name":"/bad name/x:bytes","kind":"uint64","cumulative":false,"value":1},`+
		`{"name":"/sched/pauses/total/gc:seconds","kind":"histogram","cumulative":true,`+
		`"counts":[1,2,3,4],"buckets":["-Inf",5e-9,2e-6,0.5,"+Inf"]},`+
		`{"name":"/gc/heap/allocs-by-size:bytes","kind":"histogram","cumulative":true,`+
		`"counts":[10,20,5],"buckets":[1,9,48,"+Inf"]}]}`)
	var out bytes.Buffer
	err := metricsx.WritePrometheus(&out, s, metricsx.PromOptions{
		NoProcess: true, Prefix: "app_",
		Labels: []metricsx.PromLabel{{"goarch", "amd64"}, {"note", "a \"quoted\"\\ value\n"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	const lbl = `goarch="amd64",note="a \"quoted\"\\ value\n"`
	want := `# TYPE app_go_gc_heap_allocs_bytes_total counter
app_go_gc_heap_allocs_bytes_total{` + lbl + `} 1048576
# TYPE app_go_sched_gomaxprocs_threads gauge
app_go_sched_gomaxprocs_threads{` + lbl + `} 8
# TYPE app_go_gc_gogc_percent gauge
app_go_gc_gogc_percent{` + lbl + `} 100
# TYPE app_go_cpu_classes_gc_mark_assist_cpu_seconds_total counter
app_go_cpu_classes_gc_mark_assist_cpu_seconds_total{` + lbl + `} 0.25
# TYPE app_go_x_rate_bytes_per_second gauge
app_go_x_rate_bytes_per_second{` + lbl + `} 1.5
# TYPE app_go_sched_pauses_total_gc_seconds histogram
app_go_sched_pauses_total_gc_seconds_bucket{` + lbl + `,le="1e-08"} 1
app_go_sched_pauses_total_gc_seconds_bucket{` + lbl + `,le="1e-07"} 1
app_go_sched_pauses_total_gc_seconds_bucket{` + lbl + `,le="1e-06"} 1
app_go_sched_pauses_total_gc_seconds_bucket{` + lbl + `,le="1e-05"} 3
app_go_sched_pauses_total_gc_seconds_bucket{` + lbl + `,le="0.0001"} 3
app_go_sched_pauses_total_gc_seconds_bucket{` + lbl + `,le="0.001"} 3
app_go_sched_pauses_total_gc_seconds_bucket{` + lbl + `,le="0.01"} 3
app_go_sched_pauses_total_gc_seconds_bucket{` + lbl + `,le="0.1"} 3
app_go_sched_pauses_total_gc_seconds_bucket{` + lbl + `,le="1"} 6
app_go_sched_pauses_total_gc_seconds_bucket{` + lbl + `,le="10"} 6
app_go_sched_pauses_total_gc_seconds_bucket{` + lbl + `,le="+Inf"} 10
app_go_sched_pauses_total_gc_seconds_sum{` + lbl + `} SUM1
app_go_sched_pauses_total_gc_seconds_count{` + lbl + `} 10
# TYPE app_go_gc_heap_allocs_by_size_bytes histogram
app_go_gc_heap_allocs_by_size_bytes_bucket{` + lbl + `,le="8"} 0
app_go_gc_heap_allocs_by_size_bytes_bucket{` + lbl + `,le="16"} 10
app_go_gc_heap_allocs_by_size_bytes_bucket{` + lbl + `,le="32"} 10
app_go_gc_heap_allocs_by_size_bytes_bucket{` + lbl + `,le="64"} 30
app_go_gc_heap_allocs_by_size_bytes_bucket{` + lbl + `,le="128"} 30
app_go_gc_heap_allocs_by_size_bytes_bucket{` + lbl + `,le="256"} 30
app_go_gc_heap_allocs_by_size_bytes_bucket{` + lbl + `,le="512"} 30
app_go_gc_heap_allocs_by_size_bytes_bucket{` + lbl + `,le="1024"} 30
app_go_gc_heap_allocs_by_size_bytes_bucket{` + lbl + `,le="2048"} 30
app_go_gc_heap_allocs_by_size_bytes_bucket{` + lbl + `,le="4096"} 30
app_go_gc_heap_allocs_by_size_bytes_bucket{` + lbl + `,le="8192"} 30
app_go_gc_heap_allocs_by_size_bytes_bucket{` + lbl + `,le="16384"} 30
app_go_gc_heap_allocs_by_size_bytes_bucket{` + lbl + `,le="32768"} 30
app_go_gc_heap_allocs_by_size_bytes_bucket{` + lbl + `,le="+Inf"} 35
app_go_gc_heap_allocs_by_size_bytes_sum{` + lbl + `} SUM2
app_go_gc_heap_allocs_by_size_bytes_count{` + lbl + `} 35
# HELP app_go_info The Go version of the process the metrics are from.
# TYPE app_go_info gauge
app_go_info{` + lbl + `,version="go1.26.8"} 1
`
	// The sums are Histogram.Sum's estimates; check they are its.
	h1, _ := s.Histogram("/sched/pauses/total/gc:seconds")
	h2, _ := s.Histogram("/gc/heap/allocs-by-size:bytes")
	want = strings.Replace(want, "SUM1", fmtFloat(h1.Sum()), 1)
	want = strings.Replace(want, "SUM2", fmtFloat(h2.Sum()), 1)
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func TestWritePrometheusOptions(t *testing.T) {
	s := metricsx.ReadSnapshot()
	for _, opts := range []metricsx.PromOptions{
		{Prefix: "9lives_"},
		{Prefix: "my-app_"},
		{Labels: []metricsx.PromLabel{{"le", "1"}}},
		{Labels: []metricsx.PromLabel{{"__name__", "x"}}},
		{Labels: []metricsx.PromLabel{{"", "x"}}},
		{Labels: []metricsx.PromLabel{{"a.b", "x"}}},
	} {
		var out bytes.Buffer
		err := metricsx.WritePrometheus(&out, s, opts)
		if !errors.Is(err, metricsx.ErrPromOption) || out.Len() != 0 {
			t.Errorf("%+v: err = %v, wrote %d bytes; want ErrPromOption and nothing", opts, err, out.Len())
		}
	}
}

// TestWritePrometheusLive exports this process's metrics and checks that
// every metric of every kind appears once, under a valid name, with the
// process metrics Linux offers.
func TestWritePrometheusLive(t *testing.T) {
	s := metricsx.ReadSnapshot()
	var out bytes.Buffer
	if err := metricsx.WritePrometheus(&out, s, metricsx.PromOptions{}); err != nil {
		t.Fatal(err)
	}
	types := map[string]string{}
	for line := range strings.Lines(out.String()) {
		f := strings.Fields(line)
		if len(f) == 4 && f[1] == "TYPE" {
			if _, dup := types[f[2]]; dup {
				t.Errorf("family %s twice", f[2])
			}
			types[f[2]] = f[3]
		}
	}
	hist := 0
	for _, d := range metrics.All() {
		if d.Kind == metrics.KindFloat64Histogram {
			hist++
		}
	}
	want := len(metrics.All()) + 1 // go_info
	if runtime.GOOS == "linux" {
		want += 6
		if types["process_open_fds"] != "gauge" || types["process_cpu_seconds_total"] != "counter" {
			t.Errorf("process metrics missing: %v", types)
		}
	}
	if len(types) != want {
		t.Errorf("%d families, want %d", len(types), want)
	}
	series := strings.Count(out.String(), "\n") - 2*len(types) // minus HELP and TYPE
	t.Logf("%d families, %d series, %d bytes; %d histograms", len(types), series, out.Len(), hist)
	if types["go_gc_heap_allocs_bytes_total"] != "counter" || types["go_sched_latencies_seconds"] != "histogram" {
		t.Errorf("client_golang's names missing")
	}
}

func TestWritePrometheusAllocs(t *testing.T) {
	if testenv.RaceEnabled {
		t.Skip("the race detector allocates")
	}
	s := metricsx.ReadSnapshot()
	var out bytes.Buffer
	out.Grow(1 << 20)
	opts := metricsx.PromOptions{NoProcess: true, Labels: []metricsx.PromLabel{{"goarch", runtime.GOARCH}}}
	metricsx.WritePrometheus(&out, s, opts)
	n := testing.AllocsPerRun(100, func() {
		out.Reset()
		s.Read()
		metricsx.WritePrometheus(&out, s, opts)
	})
	if n != 0 {
		t.Errorf("%v allocations per Read and WritePrometheus, want 0", n)
	}
}

func BenchmarkWritePrometheus(b *testing.B) {
	s := metricsx.ReadSnapshot()
	var out bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		s.Read()
		metricsx.WritePrometheus(&out, s, metricsx.PromOptions{NoProcess: true})
	}
	b.SetBytes(int64(out.Len()))
}
