package benchkit_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/nativego/nativego/benchkit"
)

func mustCompare(t *testing.T, opts benchkit.CompareOptions, files ...string) *benchkit.Report {
	t.Helper()
	r, err := benchkit.CompareFiles(opts, files...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func readString(t *testing.T, opts benchkit.CompareOptions, inputs ...string) *benchkit.Report {
	t.Helper()
	b, err := benchkit.NewBuilder(opts)
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range inputs {
		if err := b.Read(strings.NewReader(in), string(rune('a'+i))+".txt"); err != nil {
			t.Fatal(err)
		}
	}
	return b.Build()
}

func tableOf(t *testing.T, r *benchkit.Report, unit string) *benchkit.Table {
	t.Helper()
	for _, tab := range r.Tables {
		if tab.Unit == unit {
			return tab
		}
	}
	t.Fatalf("no %s table", unit)
	return nil
}

func columnNames(tab *benchkit.Table) []string {
	var names []string
	for _, c := range tab.Columns {
		names = append(names, c.Name)
	}
	return names
}

// stripConfig removes the runner's configuration keys from a file, leaving
// what plain go test -bench output of two architectures looks like.
func stripConfig(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^(config|exec|translated|emulated|round|machine-[a-z]+|warn-[a-z]+): .*\n`)
	return re.ReplaceAllString(string(data), "")
}

func TestAutoColumns(t *testing.T) {
	native, qemu := "testdata/base64-native.txt", "testdata/base64-qemu.txt"
	tests := []struct {
		name   string
		report func(t *testing.T) *benchkit.Report
		want   []string
	}{
		{"config key, native first although given second", func(t *testing.T) *benchkit.Report {
			return mustCompare(t, benchkit.CompareOptions{}, qemu, native)
		}, []string{"native", "qemu"}},
		{"goarch when there is no config key", func(t *testing.T) *benchkit.Report {
			return readString(t, benchkit.CompareOptions{}, stripConfig(t, native), stripConfig(t, qemu))
		}, []string{"amd64", "arm64"}},
		{"files when one architecture", func(t *testing.T) *benchkit.Report {
			return mustCompare(t, benchkit.CompareOptions{}, "testdata/base64-v1.txt", "testdata/base64-v3.txt")
		}, []string{"testdata/base64-v1.txt", "testdata/base64-v3.txt"}},
		{"labels name files", func(t *testing.T) *benchkit.Report {
			return mustCompare(t, benchkit.CompareOptions{}, "v1=testdata/base64-v1.txt", "v3=testdata/base64-v3.txt")
		}, []string{"v1", "v3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.report(t)
			if len(r.Tables) != 4 {
				t.Errorf("%d tables, want 4 (sec/op, B/s, B/op, allocs/op): the cpu and goarch keys must not split them", len(r.Tables))
			}
			tab := tableOf(t, r, "sec/op")
			if diff := cmp.Diff(tt.want, columnNames(tab)); diff != "" {
				t.Errorf("columns (-want +got):\n%s", diff)
			}
			if len(tab.Rows) != 7 {
				t.Errorf("%d rows, want 7", len(tab.Rows))
			}
			for _, row := range tab.Rows {
				for _, c := range row.Cells {
					if c == nil || len(c.Warnings) > 0 {
						t.Errorf("%s: cell %+v", row.Name, c)
					}
				}
			}
		})
	}
}

// TestAutoMatchesExplicit checks that the automatic projection computes
// what the equivalent explicit one does.
func TestAutoMatchesExplicit(t *testing.T) {
	files := []string{"testdata/base64-native.txt", "testdata/base64-qemu.txt"}
	auto := mustCompare(t, benchkit.CompareOptions{}, files...)
	explicit := mustCompare(t, benchkit.CompareOptions{Col: "config", Ignore: "goarch,cpu,exec,translated,emulated,round"}, files...)
	for i := range auto.Tables {
		a, e := auto.Tables[i], explicit.Tables[i]
		if diff := cmp.Diff(e.Rows, a.Rows, cmpopts.IgnoreUnexported(benchkit.Delta{}), cmp.Comparer(func(x, y float64) bool { return x == y || math.IsNaN(x) && math.IsNaN(y) })); diff != "" {
			t.Errorf("%s (-explicit +auto):\n%s", a.Unit, diff)
		}
		for k, row := range a.Rows {
			ae, al, ah := row.Cells[1].Vs.Ratio()
			ee, el, eh := e.Rows[k].Cells[1].Vs.Ratio()
			same := func(x, y float64) bool { return x == y || math.IsNaN(x) && math.IsNaN(y) }
			if !same(ae, ee) || !same(al, el) || !same(ah, eh) {
				t.Errorf("%s %s: ratio %v [%v, %v], explicit %v [%v, %v]", a.Unit, row.Name, ae, al, ah, ee, el, eh)
			}
		}
	}
	if !auto.Tables[0].Columns[1].Foreign() {
		t.Errorf("qemu column not marked emulated")
	}
	if len(auto.Warnings) != 1 || !strings.HasPrefix(auto.Warnings[0], "load average ") || !strings.HasSuffix(auto.Warnings[0], "(and 5 more like it)") {
		t.Errorf("warnings %q, want the warn-load text once with a count", auto.Warnings)
	}
}

// TestGeomeanCommonRows pins the fix of golang/go#57648: each column's
// geomean covers only benchmarks present in every column.
func TestGeomeanCommonRows(t *testing.T) {
	r := mustCompare(t, benchkit.CompareOptions{}, "testdata/edge/missing-old.txt", "testdata/edge/missing-new.txt")
	g := tableOf(t, r, "sec/op").Geomean
	if g.Rows != 2 || g.Excluded != 2 {
		t.Fatalf("geomean over %d rows, %d excluded; want 2 and 2", g.Rows, g.Excluded)
	}
	// Medians: Both 102.5 and 92.5 ns, Both2 152.5 and 142.5 ns.
	want := []float64{math.Sqrt(102.5e-9 * 152.5e-9), math.Sqrt(92.5e-9 * 142.5e-9)}
	for j := range want {
		if math.Abs(g.Centers[j]-want[j]) > 1e-9*want[j] {
			t.Errorf("column %d geomean %v, want %v", j, g.Centers[j], want[j])
		}
	}
	if wantPct := (want[1]/want[0] - 1) * 100; math.Abs(g.Pct[1]-wantPct) > 1e-9 {
		t.Errorf("geomean change %v%%, want %v%%", g.Pct[1], wantPct)
	}
	if len(g.Warnings) != 1 {
		t.Errorf("warnings %q, want one naming the excluded rows", g.Warnings)
	}
}

func TestZeroVariance(t *testing.T) {
	r := mustCompare(t, benchkit.CompareOptions{}, "testdata/edge/zerovar-old.txt", "testdata/edge/zerovar-new.txt")
	tab := tableOf(t, r, "sec/op")
	same, step := tab.Rows[0].Cells[1], tab.Rows[1].Cells[1]
	if est, _, _ := same.Vs.Ratio(); same.Vs.Pct != 0 || same.Vs.P != 1 || same.Vs.Significant || est != 1 {
		t.Errorf("Same: %+v", same.Vs)
	}
	if !step.Vs.Significant || math.Abs(step.Vs.Pct-20) > 1e-9 {
		t.Errorf("Step: %+v, want significant +20%%", step.Vs)
	}
	if est, lo, hi := step.Vs.Ratio(); math.Abs(est-1.2) > 1e-12 || math.Abs(lo-1.2) > 1e-12 || math.Abs(hi-1.2) > 1e-12 {
		t.Errorf("Step ratio %v [%v, %v], want exactly 1.2", est, lo, hi)
	}
	if step.Lo != step.Center || step.Hi != step.Center {
		t.Errorf("Step interval [%v, %v] around %v, want empty", step.Lo, step.Hi, step.Center)
	}
}

// TestNonFinite checks that NaN and Inf measurements, which parse as
// numbers, are dropped: a NaN reaching the U test makes it loop forever.
func TestNonFinite(t *testing.T) {
	in := "BenchmarkX 1 NaN ns/op\nBenchmarkX 1 +Inf ns/op\nBenchmarkX 1 5 ns/op\nBenchmarkX 1 6 ns/op\n"
	r := readString(t, benchkit.CompareOptions{}, in, in)
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "dropped 4 measurement") {
		t.Errorf("warnings %q, want one about 4 dropped values", r.Warnings)
	}
	if n := r.Tables[0].Rows[0].Cells[0].N(); n != 2 {
		t.Errorf("n=%d, want 2", n)
	}
}

func TestSyntaxErrorsAreWarnings(t *testing.T) {
	in := "BenchmarkX 1 5 ns/op\nBenchmarkY one 5 ns/op\nBenchmarkZ 1 5\n"
	r := readString(t, benchkit.CompareOptions{}, in)
	if len(r.Warnings) != 2 {
		t.Errorf("warnings %q, want two syntax errors", r.Warnings)
	}
	if len(r.Tables) != 1 || len(r.Tables[0].Rows) != 1 {
		t.Errorf("want the one good line in one table")
	}
}

func TestBadOptions(t *testing.T) {
	for _, opts := range []benchkit.CompareOptions{{Col: "@@"}, {Filter: "("}, {Confidence: 2}, {Alpha: -1}, {Table: ".unit"}} {
		if _, err := benchkit.NewBuilder(opts); err == nil {
			t.Errorf("%+v: no error", opts)
		}
	}
}

func TestRounds(t *testing.T) {
	for _, tt := range []struct {
		name      string
		got, want int
	}{
		{"interval 95%", benchkit.RoundsForInterval(0.95), 6},
		{"interval 99%", benchkit.RoundsForInterval(0.99), 8},
		{"interval 90%", benchkit.RoundsForInterval(0.90), 5},
		{"detect 0.05", benchkit.RoundsToDetect(0.05), 4},
		{"detect 0.01", benchkit.RoundsToDetect(0.01), 5},
		{"needed default", benchkit.RoundsNeeded(0, 0), 6},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, tt.got, tt.want)
		}
	}
}

func TestAdvice(t *testing.T) {
	r := mustCompare(t, benchkit.CompareOptions{}, "testdata/edge/small-old.txt", "testdata/edge/small-new.txt")
	var got []string
	for _, a := range r.Advice() {
		got = append(got, a.Table.Unit+" "+a.Row+" "+a.Column)
		if a.Need != 6 {
			t.Errorf("%s: need %d, want 6 (n is too small for an interval)", a, a.Need)
		}
	}
	want := []string{"sec/op One-2 ", "sec/op Three-2 ", "B/op One-2 ", "B/op Three-2 "}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("advice (-want +got):\n%s", diff)
	}

	// A noisy real difference at n=6: advice names a larger count.
	r = mustCompare(t, benchkit.CompareOptions{}, "testdata/base64-native.txt", "testdata/base64-qemu.txt")
	for _, a := range r.Advice() {
		if a.Row == "NewEncoding-2" && a.Table.Unit == "sec/op" {
			if a.Need <= 6 || a.Need > 500 {
				t.Errorf("%s: need %d, want more than 6", a, a.Need)
			}
			return
		}
	}
	t.Errorf("no advice for the inconclusive NewEncoding-2 sec/op")
}

// TestCSVIsRectangular pins the fix of golang/go#67760: the CSV is one
// table a strict reader accepts, every record with the header's fields.
func TestCSVIsRectangular(t *testing.T) {
	for _, files := range [][]string{
		{"testdata/base64-native.txt", "testdata/base64-qemu.txt"},
		{"testdata/base64-v1.txt", "testdata/base64-v3.txt", "testdata/base64-native.txt"},
		{"testdata/edge/small-old.txt", "testdata/edge/small-new.txt"},
		{"testdata/edge/missing-old.txt", "testdata/edge/missing-new.txt"},
	} {
		r := mustCompare(t, benchkit.CompareOptions{}, files...)
		var buf bytes.Buffer
		if err := r.WriteCSV(&buf); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatalf("%v: %v", files, err)
		}
		if len(recs) < 2 || recs[0][0] != "table" {
			t.Errorf("%v: %d records, header %q", files, len(recs), recs[0])
		}
	}
}

func TestJSONRows(t *testing.T) {
	type cell struct {
		Column string
		N      int
	}
	type row struct {
		Name     string
		A, B     *cell
		DeltaPct *float64 `json:"delta_pct"`
		P        *float64
	}
	decode := func(r *benchkit.Report) (rows []row) {
		var buf bytes.Buffer
		if err := r.WriteJSON(&buf); err != nil {
			t.Fatal(err)
		}
		var out struct {
			Tables []struct {
				Unit string
				Rows []row
			}
		}
		if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
			t.Fatal(err)
		}
		return out.Tables[len(out.Tables)-1].Rows // sec/op sorts last here
	}
	three := decode(mustCompare(t, benchkit.CompareOptions{}, "v1=testdata/base64-v1.txt", "v3=testdata/base64-v3.txt", "v1again=testdata/base64-v1.txt"))
	if len(three) != 14 {
		t.Fatalf("%d rows for 7 benchmarks in 3 columns, want 14", len(three))
	}
	for i, r := range three {
		wantB := []string{"v3", "v1again"}[i%2]
		if r.A == nil || r.A.Column != "v1" || r.B == nil || r.B.Column != wantB || r.P == nil || r.DeltaPct == nil {
			t.Errorf("row %d: %+v, want a=v1 b=%s with delta and p", i, r, wantB)
		}
		if wantB == "v1again" && *r.DeltaPct != 0 {
			t.Errorf("row %d: a file against itself changed by %v%%", i, *r.DeltaPct)
		}
	}
	one := decode(mustCompare(t, benchkit.CompareOptions{}, "testdata/base64-v1.txt"))
	for _, r := range one {
		if r.A == nil || r.B != nil || r.P != nil || r.A.N != 10 {
			t.Errorf("one column: %+v", r)
		}
	}
	missing := decode(mustCompare(t, benchkit.CompareOptions{}, "testdata/edge/missing-old.txt", "testdata/edge/missing-new.txt"))
	for _, r := range missing {
		onlyOld, onlyNew := r.Name == "OnlyOld-2", r.Name == "OnlyNew-2"
		if (r.A == nil) != onlyNew || (r.B == nil) != onlyOld || (r.P == nil) != (onlyOld || onlyNew) {
			t.Errorf("missing: %+v", r)
		}
	}
}

// TestWarningsBounded checks that garbage input yields a bounded list of
// warnings with a count of the rest.
func TestWarningsBounded(t *testing.T) {
	var in strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&in, "BenchmarkBad%d x 1 ns/op\nwarn-k%d: text %s\nBenchmarkGood 1 %d ns/op\n", i, i, strings.Repeat("x", i), i+1)
	}
	r := readString(t, benchkit.CompareOptions{}, in.String())
	if len(r.Warnings) != 20+100+2 {
		t.Errorf("%d warnings, want 122", len(r.Warnings))
	}
	want := []string{"980 more lines that did not parse were skipped", "900 more warn-* texts were left out"}
	if diff := cmp.Diff(want, r.Warnings[len(r.Warnings)-2:]); diff != "" {
		t.Errorf("last warnings (-want +got):\n%s", diff)
	}
}

// TestWarningsGroupedByShape checks that the same warning with other
// numbers, under whatever key, is reported once with a count.
func TestWarningsGroupedByShape(t *testing.T) {
	in := `warn-machine-1: load average 3.20 on 2 CPUs
BenchmarkX 1 5 ns/op
warn-machine-1: CPU frequency governor is powersave, not performance
warn-machine-2: load average 4.10 on 2 CPUs
BenchmarkX 1 6 ns/op
warn-machine-1: load average 3.20 on 2 CPUs
warn-machine-2:
BenchmarkX 1 7 ns/op
`
	r := readString(t, benchkit.CompareOptions{}, in)
	want := []string{"load average 3.20 on 2 CPUs (and 1 more like it)", "CPU frequency governor is powersave, not performance"}
	if diff := cmp.Diff(want, r.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

// TestSVGLegendNamesHowColumnsRan labels an emulated column once, whether
// or not its name already says so.
func TestSVGLegendNamesHowColumnsRan(t *testing.T) {
	in := func(config string, emulated bool, ns int) string {
		s := fmt.Sprintf("config: %s\nemulated: %t\ngoarch: amd64\n", config, emulated)
		for range 6 {
			s += fmt.Sprintf("BenchmarkX 1 %d ns/op\n", ns)
			ns++
		}
		return s
	}
	for _, tt := range []struct{ name, want string }{
		{"emulated", ">emulated<"},
		{"arm64", ">arm64 (emulated)<"},
	} {
		r := readString(t, benchkit.CompareOptions{}, in("native", false, 100), in(tt.name, true, 900))
		var b strings.Builder
		if err := r.WriteSVG(&b); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), tt.want) {
			t.Errorf("column %q: legend has no %q:\n%s", tt.name, tt.want, b.String())
		}
	}
}
