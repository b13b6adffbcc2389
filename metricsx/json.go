package metricsx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"runtime/metrics"
	"strconv"
	"time"
	"unicode/utf8"
)

// jsonSchema is the version of the JSON form documented in the package
// documentation (# JSON).
const jsonSchema = 1

// Limits on decoded snapshots, far above what any runtime produces (Go
// 1.26 has 113 metrics and histograms of 162 buckets), to bound the work
// and memory a hostile input can cause.
const (
	maxMetrics    = 4096
	maxBuckets    = 1 << 16
	maxNameLength = 1024
)

// AppendJSON appends the JSON form of s (see the package documentation,
// # JSON) to b and returns the extended
// buffer. Called with a buffer of enough capacity it allocates nothing.
func (s *Snapshot) AppendJSON(b []byte) []byte {
	b = append(b, `{"schema":`...)
	b = strconv.AppendInt(b, jsonSchema, 10)
	b = append(b, `,"time":"`...)
	b = s.time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","go_version":`...)
	b = appendJSONString(b, s.goVersion)
	b = append(b, `,"goos":`...)
	b = appendJSONString(b, s.goos)
	b = append(b, `,"goarch":`...)
	b = appendJSONString(b, s.goarch)
	b = append(b, `,"metrics":[`...)
	for i := range s.Len() {
		if i > 0 {
			b = append(b, ',')
		}
		d := &s.set.descs[i]
		b = append(b, `{"name":`...)
		b = appendJSONString(b, d.name)
		b = append(b, `,"kind":"`...)
		b = append(b, kindName(d.kind)...)
		b = append(b, `","cumulative":`...)
		b = strconv.AppendBool(b, d.cumulative)
		switch d.kind {
		case metrics.KindUint64:
			b = append(b, `,"value":`...)
			b = strconv.AppendUint(b, s.vals[i], 10)
		case metrics.KindFloat64:
			b = append(b, `,"value":`...)
			b = appendJSONFloat(b, math.Float64frombits(s.vals[i]))
		case metrics.KindFloat64Histogram:
			h := s.hists[i]
			b = append(b, `,"counts":[`...)
			for j, c := range h.Counts {
				if j > 0 {
					b = append(b, ',')
				}
				b = strconv.AppendUint(b, c, 10)
			}
			b = append(b, `],"buckets":`...)
			b = s.set.appendBucketsJSON(b, i, h.Buckets)
		}
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

// MarshalJSON returns the JSON form of s.
func (s *Snapshot) MarshalJSON() ([]byte, error) {
	return s.AppendJSON(nil), nil
}

func kindName(k metrics.ValueKind) string {
	switch k {
	case metrics.KindUint64:
		return "uint64"
	case metrics.KindFloat64:
		return "float64"
	case metrics.KindFloat64Histogram:
		return "histogram"
	}
	return "bad"
}

func appendJSONFloat(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, `"+Inf"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Inf"`...)
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// appendJSONString appends s as a JSON string, replacing invalid UTF-8
// with U+FFFD as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// jsonFloat is a float64 that decodes from a JSON number or from one of
// the strings "+Inf", "-Inf" and "NaN".
type jsonFloat float64

func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"+Inf"`, `"Inf"`:
		*f = jsonFloat(math.Inf(1))
		return nil
	case `"-Inf"`:
		*f = jsonFloat(math.Inf(-1))
		return nil
	case `"NaN"`:
		*f = jsonFloat(math.NaN())
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("not a number: %.40q", b)
	}
	*f = jsonFloat(v)
	return nil
}

type jsonSnapshotIn struct {
	Schema    int            `json:"schema"`
	Time      time.Time      `json:"time"`
	GoVersion string         `json:"go_version"`
	GOOS      string         `json:"goos"`
	GOARCH    string         `json:"goarch"`
	Metrics   []jsonMetricIn `json:"metrics"`
}

type jsonMetricIn struct {
	Name       string          `json:"name"`
	Kind       string          `json:"kind"`
	Cumulative bool            `json:"cumulative"`
	Value      json.RawMessage `json:"value"`
	Counts     []uint64        `json:"counts"`
	Buckets    []jsonFloat     `json:"buckets"`
}

// jsonError is a problem with one decoded snapshot; Reader adds the line.
type jsonError struct {
	msg string
	err error
}

func (e *jsonError) Error() string {
	if e.err != nil {
		return e.msg + ": " + e.err.Error()
	}
	return e.msg
}

func (e *jsonError) Unwrap() error { return e.err }

// UnmarshalJSON sets s to the snapshot in data, in the JSON form the
// package documentation describes (# JSON). It reuses
// s's storage when data lists the same metrics as s holds. On error s is
// left empty.
func (s *Snapshot) UnmarshalJSON(data []byte) error {
	var in jsonSnapshotIn
	if err := json.Unmarshal(data, &in); err != nil {
		s.clear()
		return &jsonError{msg: "malformed snapshot", err: err}
	}
	if err := s.setFromJSON(&in); err != nil {
		s.clear()
		return err
	}
	return nil
}

func (s *Snapshot) clear() {
	*s = Snapshot{}
}

func (s *Snapshot) setFromJSON(in *jsonSnapshotIn) error {
	if in.Schema != jsonSchema {
		return &jsonError{msg: fmt.Sprintf("schema %d, want %d", in.Schema, jsonSchema)}
	}
	if len(in.Metrics) > maxMetrics {
		return &jsonError{msg: fmt.Sprintf("%d metrics, more than the limit of %d", len(in.Metrics), maxMetrics)}
	}
	descs := make([]desc, len(in.Metrics))
	seen := make(map[string]bool, len(in.Metrics))
	for i := range in.Metrics {
		m := &in.Metrics[i]
		if m.Name == "" || len(m.Name) > maxNameLength {
			return &jsonError{msg: fmt.Sprintf("metric %d: name of %d bytes", i, len(m.Name))}
		}
		if seen[m.Name] {
			return &jsonError{msg: fmt.Sprintf("metric %q appears twice", m.Name)}
		}
		seen[m.Name] = true
		d := desc{name: m.Name, cumulative: m.Cumulative}
		switch m.Kind {
		case "uint64":
			d.kind = metrics.KindUint64
		case "float64":
			d.kind = metrics.KindFloat64
		case "histogram":
			d.kind = metrics.KindFloat64Histogram
		default:
			return &jsonError{msg: fmt.Sprintf("metric %q: unknown kind %.40q", m.Name, m.Kind)}
		}
		descs[i] = d
	}
	if s.set == nil || s.samples != nil || !s.set.sameDescs(descs) {
		s.init(newMetricSet(descs), false)
	}
	s.time, s.goVersion, s.goos, s.goarch = in.Time, in.GoVersion, in.GOOS, in.GOARCH
	for i := range in.Metrics {
		m := &in.Metrics[i]
		switch descs[i].kind {
		case metrics.KindUint64:
			v, err := strconv.ParseUint(string(bytes.TrimSpace(m.Value)), 10, 64)
			if err != nil {
				return &jsonError{msg: fmt.Sprintf("metric %q: value %.40q is not a uint64", m.Name, m.Value)}
			}
			s.vals[i] = v
		case metrics.KindFloat64:
			var f jsonFloat
			if len(m.Value) == 0 {
				return &jsonError{msg: fmt.Sprintf("metric %q has no value", m.Name)}
			}
			if err := f.UnmarshalJSON(bytes.TrimSpace(m.Value)); err != nil {
				return &jsonError{msg: fmt.Sprintf("metric %q", m.Name), err: err}
			}
			s.vals[i] = math.Float64bits(float64(f))
		case metrics.KindFloat64Histogram:
			if err := s.setHistogramFromJSON(i, m); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Snapshot) setHistogramFromJSON(i int, m *jsonMetricIn) error {
	if len(m.Counts) == 0 || len(m.Counts) > maxBuckets || len(m.Buckets) != len(m.Counts)+1 {
		return &jsonError{msg: fmt.Sprintf("histogram %q: %d counts and %d bucket boundaries", m.Name, len(m.Counts), len(m.Buckets))}
	}
	for j := 1; j < len(m.Buckets); j++ {
		// Strictly increasing; NaN fails this comparison too.
		if !(m.Buckets[j] > m.Buckets[j-1]) {
			return &jsonError{msg: fmt.Sprintf("histogram %q: bucket boundaries %g and %g out of order", m.Name, m.Buckets[j-1], m.Buckets[j])}
		}
	}
	h := &s.hists[i]
	h.Counts = append(h.Counts[:0], m.Counts...)
	if !sameJSONBuckets(h.Buckets, m.Buckets) {
		// A new slice: Buckets are never written in place, and the old
		// one may be shared by a copy of this snapshot.
		b := make([]float64, len(m.Buckets))
		for j, f := range m.Buckets {
			b[j] = float64(f)
		}
		h.Buckets = b
	}
	return nil
}

func sameJSONBuckets(have []float64, in []jsonFloat) bool {
	if len(have) != len(in) {
		return false
	}
	for i := range have {
		if have[i] != float64(in[i]) {
			return false
		}
	}
	return true
}
