package promtest_test

import (
	"bytes"
	"runtime"
	"strings"
	"testing"

	"github.com/nativego/nativego/metricsx"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// export writes this process's metrics as a scrape would get them.
func export(t testing.TB, opts metricsx.PromOptions) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := metricsx.WritePrometheus(&out, metricsx.ReadSnapshot(), opts); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// parse parses the text format with prometheus/common's parser, the one
// Prometheus' own tools use.
func parse(t testing.TB, b []byte) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("expfmt: %v", err)
	}
	return fams
}

// clientGolangRegistry is a registry with client_golang's Go collector
// exporting every runtime metric (and not MemStats, which are not
// runtime/metrics names), the configuration whose names metricsx keeps.
func clientGolangRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(
		collectors.WithGoCollectorRuntimeMetrics(collectors.MetricsAll),
		collectors.WithGoCollectorMemStatsMetricsDisabled(),
	))
	return reg
}

// TestExpfmt parses the output with expfmt and checks it against
// client_golang's own export of the same runtime: every family
// client_golang derives from runtime/metrics has the same name and type
// in ours, and ours are well-formed histograms with the constant labels.
func TestExpfmt(t *testing.T) {
	labels := []metricsx.PromLabel{{Name: "goarch", Value: runtime.GOARCH}, {Name: "translated", Value: "0"}}
	ours := parse(t, export(t, metricsx.PromOptions{Labels: labels}))
	theirs, err := clientGolangRegistry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	// Families client_golang's Go collector adds from elsewhere than
	// runtime/metrics names.
	// (go_memstats_last_gc_time_seconds stays when MemStats are off.)
	notRuntime := map[string]bool{"go_goroutines": true, "go_threads": true, "go_gc_duration_seconds": true,
		"go_info": true, "go_memstats_last_gc_time_seconds": true}
	matched := 0
	for _, mf := range theirs {
		name := mf.GetName()
		if notRuntime[name] {
			continue
		}
		o, ok := ours[name]
		if !ok {
			t.Errorf("client_golang exports %s (%s), metricsx does not", name, mf.GetType())
			continue
		}
		if o.GetType() != mf.GetType() {
			t.Errorf("%s: type %s, client_golang says %s", name, o.GetType(), mf.GetType())
		}
		matched++
	}
	t.Logf("%d of client_golang's %d families matched; metricsx exports %d", matched, len(theirs), len(ours))
	if matched < 100 {
		t.Errorf("only %d families matched", matched)
	}
	for name, mf := range ours {
		for _, m := range mf.GetMetric() {
			got := map[string]string{}
			for _, lp := range m.GetLabel() {
				got[lp.GetName()] = lp.GetValue()
			}
			if got["goarch"] != runtime.GOARCH || got["translated"] != "0" {
				t.Errorf("%s: labels %v", name, got)
			}
		}
		if mf.GetType() != dto.MetricType_HISTOGRAM {
			continue
		}
		h := mf.GetMetric()[0].GetHistogram()
		n := len(h.GetBucket())
		if n != len(metricsx.PromBucketsSeconds)+1 && n != len(metricsx.PromBucketsBytes)+1 {
			t.Errorf("%s: %d buckets, want the fixed %d or %d and +Inf", name, n, len(metricsx.PromBucketsSeconds), len(metricsx.PromBucketsBytes))
		}
		var prev uint64
		for _, b := range h.GetBucket() {
			if b.GetCumulativeCount() < prev || b.GetCumulativeCount() > h.GetSampleCount() {
				t.Errorf("%s: bucket le=%g count %d out of order", name, b.GetUpperBound(), b.GetCumulativeCount())
			}
			prev = b.GetCumulativeCount()
		}
	}
	if v := ours["go_info"].GetMetric()[0].GetLabel(); !strings.HasPrefix(labelValue(v, "version"), "go1.") {
		t.Errorf("go_info labels %v", v)
	}
}

func labelValue(lps []*dto.LabelPair, name string) string {
	for _, lp := range lps {
		if lp.GetName() == name {
			return lp.GetValue()
		}
	}
	return ""
}

type exportOpts struct {
	prefix string
	labels bool
}

func (o exportOpts) promOptions() metricsx.PromOptions {
	opts := metricsx.PromOptions{Prefix: o.prefix}
	if o.labels {
		opts.Labels = []metricsx.PromLabel{{Name: "goarch", Value: runtime.GOARCH}, {Name: "translated", Value: "0"}}
	}
	return opts
}
