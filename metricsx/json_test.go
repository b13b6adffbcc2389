package metricsx

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"runtime/metrics"
	"strings"
	"testing"
)

// TestJSONRoundTrip encodes a real snapshot, checks that encoding/json
// accepts it, and decodes it back to equal values.
func TestJSONRoundTrip(t *testing.T) {
	s := ReadSnapshot()
	b := s.AppendJSON(nil)
	if !json.Valid(b) {
		t.Fatalf("AppendJSON produced invalid JSON: %.200s", b)
	}
	var d Snapshot
	if err := d.UnmarshalJSON(b); err != nil {
		t.Fatal(err)
	}
	assertSameSnapshot(t, s, &d)
	// Decoding the same metrics again reuses the storage.
	if n := testing.AllocsPerRun(1, func() { _ = d.UnmarshalJSON(b) }); n == 0 {
		t.Log("decoding allocated nothing") // encoding/json allocates; not a requirement
	}
	assertSameSnapshot(t, s, &d)
	// encoding/json uses MarshalJSON.
	viaJSON, err := json.Marshal(s)
	if err != nil || !bytes.Equal(viaJSON, b) {
		t.Errorf("json.Marshal = %.100s, %v", viaJSON, err)
	}
}

func assertSameSnapshot(t *testing.T, want, got *Snapshot) {
	t.Helper()
	if !got.Time().Equal(want.Time()) || got.GoVersion() != want.GoVersion() || got.GOARCH() != want.GOARCH() || got.GOOS() != want.GOOS() || got.Len() != want.Len() {
		t.Fatalf("decoded snapshot: time %v, %s %s/%s, %d metrics; want %v, %s %s/%s, %d", got.Time(), got.GoVersion(), got.GOOS(), got.GOARCH(), got.Len(), want.Time(), want.GoVersion(), want.GOOS(), want.GOARCH(), want.Len())
	}
	for i := range want.Len() {
		a, b := want.At(i), got.At(i)
		if a.Name != b.Name || a.Kind != b.Kind || a.Cumulative != b.Cumulative || a.Uint64 != b.Uint64 ||
			(a.Float64 != b.Float64 && !(math.IsNaN(a.Float64) && math.IsNaN(b.Float64))) ||
			!sameBuckets(a.Histogram.Buckets, b.Histogram.Buckets) || !equalCounts(a.Histogram.Counts, b.Histogram.Counts) {
			t.Errorf("metric %d: got %+v, want %+v", i, b, a)
		}
	}
}

func equalCounts(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestAppendJSONAllocatesNothing(t *testing.T) {
	s := ReadSnapshot()
	buf := s.AppendJSON(nil)
	if n := testing.AllocsPerRun(50, func() { buf = s.AppendJSON(buf[:0]) }); n != 0 {
		t.Errorf("AppendJSON into a large enough buffer allocates %v times", n)
	}
}

func TestJSONSpecialValues(t *testing.T) {
	set := newMetricSet([]desc{
		{name: "/a:x", kind: metrics.KindFloat64},
		{name: "/big:bytes", kind: metrics.KindUint64, cumulative: true},
		{name: "/quote\"<\x01\xff:x", kind: metrics.KindFloat64},
	})
	s := &Snapshot{set: set, vals: []uint64{math.Float64bits(math.Inf(-1)), math.MaxUint64, math.Float64bits(math.NaN())}, hists: make([]Histogram, 3)}
	b := s.AppendJSON(nil)
	if !json.Valid(b) {
		t.Fatalf("invalid JSON: %s", b)
	}
	for _, want := range []string{`"value":"-Inf"`, `"value":18446744073709551615`, `"value":"NaN"`, `quote\"\u003c\u0001\ufffd`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s: %s", want, b)
		}
	}
	var d Snapshot
	if err := d.UnmarshalJSON(b); err != nil {
		t.Fatal(err)
	}
	if v, _ := d.Uint64("/big:bytes"); v != math.MaxUint64 {
		t.Errorf("uint64 above 2^53 decoded as %d", v)
	}
	if v, _ := d.Float64("/a:x"); !math.IsInf(v, -1) {
		t.Errorf("-Inf decoded as %v", v)
	}
}

func TestJSONRejects(t *testing.T) {
	hist := func(counts, buckets string) string {
		return `{"schema":1,"metrics":[{"name":"/h:seconds","kind":"histogram","counts":` + counts + `,"buckets":` + buckets + `}]}`
	}
	tests := []struct{ name, in string }{
		{"not JSON", `{"schema":1,`},
		{"wrong schema", `{"schema":2,"metrics":[]}`},
		{"no schema", `{"metrics":[]}`},
		{"unknown kind", `{"schema":1,"metrics":[{"name":"/a:x","kind":"string","value":1}]}`},
		{"empty name", `{"schema":1,"metrics":[{"name":"","kind":"uint64","value":1}]}`},
		{"duplicate name", `{"schema":1,"metrics":[{"name":"/a:x","kind":"uint64","value":1},{"name":"/a:x","kind":"uint64","value":1}]}`},
		{"negative uint64", `{"schema":1,"metrics":[{"name":"/a:x","kind":"uint64","value":-1}]}`},
		{"fractional uint64", `{"schema":1,"metrics":[{"name":"/a:x","kind":"uint64","value":1.5}]}`},
		{"uint64 overflow", `{"schema":1,"metrics":[{"name":"/a:x","kind":"uint64","value":18446744073709551616}]}`},
		{"float without value", `{"schema":1,"metrics":[{"name":"/a:x","kind":"float64"}]}`},
		{"float as word", `{"schema":1,"metrics":[{"name":"/a:x","kind":"float64","value":"many"}]}`},
		{"too few buckets", hist(`[1,2]`, `[0,1]`)},
		{"no counts", hist(`[]`, `[0]`)},
		{"buckets out of order", hist(`[1,2]`, `[0,2,1]`)},
		{"NaN bucket", hist(`[1,2]`, `[0,"NaN",1]`)},
		{"repeated bucket", hist(`[1,2]`, `[0,1,1]`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Snapshot
			if err := s.UnmarshalJSON([]byte(tt.in)); err == nil {
				t.Fatalf("accepted %s", tt.in)
			}
			if s.Len() != 0 {
				t.Error("snapshot not empty after an error")
			}
		})
	}
}

func TestReader(t *testing.T) {
	var in bytes.Buffer
	var want []*Snapshot
	for range 3 {
		s := ReadSnapshot()
		want = append(want, s)
		in.Write(s.AppendJSON(nil))
		in.WriteString("\n\n")
	}
	in.WriteString(`{"schema":1,"metrics":[{"name":"/a:x","kind":"uint64","value":"x"}]}` + "\n")
	r := NewReader(&in, "test.jsonl")
	var n int
	for r.Scan() {
		assertSameSnapshot(t, want[n], r.Snapshot())
		n++
	}
	if n != 3 {
		t.Errorf("read %d snapshots, want 3", n)
	}
	var fe *FormatError
	if err := r.Err(); !errors.As(err, &fe) || fe.Line != 7 || fe.Name != "test.jsonl" {
		t.Errorf("Err = %v, want a FormatError at test.jsonl:7", err)
	}
}

func TestReaderLineTooLong(t *testing.T) {
	long := strings.Repeat(" ", maxLineLength+10) + "{}"
	r := NewReader(strings.NewReader(long), "long")
	if r.Scan() {
		t.Fatal("Scan succeeded on an overlong line")
	}
	var fe *FormatError
	if !errors.As(r.Err(), &fe) {
		t.Errorf("Err = %v, want a FormatError", r.Err())
	}
}

// FuzzReader plays arbitrary input back through a Reader, and checks that
// every snapshot it accepts encodes to JSON that decodes to the same
// snapshot and that its histograms answer without panicking.
func FuzzReader(f *testing.F) {
	s := ReadSnapshot()
	f.Add(append(s.AppendJSON(nil), '\n'))
	f.Add([]byte(`{"schema":1,"time":"2026-01-01T00:00:00Z","metrics":[{"name":"/h:seconds","kind":"histogram","cumulative":true,"counts":[1,0,2],"buckets":["-Inf",0,1e-9,"+Inf"]},{"name":"/a:bytes","kind":"uint64","value":7}]}`))
	f.Add([]byte("{\"schema\":1,\"metrics\":[]}\n\n{\"schema\":1}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data), "fuzz")
		for r.Scan() {
			got := r.Snapshot()
			var again Snapshot
			if err := again.UnmarshalJSON(got.AppendJSON(nil)); err != nil {
				t.Fatalf("re-decoding an accepted snapshot: %v", err)
			}
			if again.Len() != got.Len() {
				t.Fatalf("re-decoded %d metrics, want %d", again.Len(), got.Len())
			}
			for i := range got.Len() {
				h := got.At(i).Histogram
				_, _, _, _ = h.Quantile(0.99), h.Mean(), h.Max(), h.Count()
				var d Histogram
				_ = d.Sub(h, h)
				_ = d.Merge(h)
			}
		}
	})
}
