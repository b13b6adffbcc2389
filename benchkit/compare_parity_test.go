package benchkit_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/perf/benchmath"

	"github.com/nativego/nativego/benchkit"
	"github.com/nativego/nativego/internal/testenv"
)

// buildBenchstat builds golang.org/x/perf/cmd/benchstat at the version
// go.mod pins, the version whose benchmath the tables use.
func buildBenchstat(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("building benchstat takes seconds; skipped in -short mode")
	}
	exe := filepath.Join(t.TempDir(), "benchstat")
	testenv.Run(t, testenv.GoCommand(t, "build", "-o", exe, "golang.org/x/perf/cmd/benchstat"))
	return exe
}

// benchstatCell is one column of one row of benchstat's CSV output.
type benchstatCell struct {
	center, ci, delta, pn string
}

// parseBenchstatCSV reads benchstat -format csv output into
// unit -> row -> column -> cell. Its layout, per table: a line per column
// key field naming the columns, a line "", unit, "CI", ["vs base", "P"]...,
// then one line per row: name, center, CI, then per further column
// center, CI, delta, "p=… n=…"; then "geomean". Table headings
// ("pkg: …") and blank lines separate tables; benchstat's CSV has records
// of different lengths, so the reader accepts any.
func parseBenchstatCSV(t *testing.T, data []byte) map[string]map[string]map[string]benchstatCell {
	t.Helper()
	rd := csv.NewReader(bytes.NewReader(data))
	rd.FieldsPerRecord = -1
	recs, err := rd.ReadAll()
	if err != nil {
		t.Fatalf("benchstat CSV: %v", err)
	}
	out := make(map[string]map[string]map[string]benchstatCell)
	var unit string
	var cols []string
	for i, rec := range recs {
		if len(rec) >= 3 && rec[0] == "" && rec[2] == "CI" {
			unit = rec[1]
			cols = nil
			for _, f := range recs[i-1][1:] {
				if f != "" {
					cols = append(cols, f)
				}
			}
			if out[unit] == nil {
				out[unit] = make(map[string]map[string]benchstatCell)
			}
			continue
		}
		if unit == "" || len(rec) < 3 || rec[0] == "" || rec[0] == "geomean" || strings.Contains(rec[0], ": ") {
			continue
		}
		row := make(map[string]benchstatCell)
		for j, col := range cols {
			at := 1
			if j > 0 {
				at = 3 + (j-1)*4
			}
			if at+1 >= len(rec) || rec[at] == "" {
				continue
			}
			c := benchstatCell{center: rec[at], ci: rec[at+1]}
			if j > 0 && at+3 < len(rec) {
				c.delta, c.pn = rec[at+2], rec[at+3]
			}
			row[col] = c
		}
		out[unit][rec[0]] = row
	}
	return out
}

// TestBenchstatParity runs benchstat on real and synthetic benchmark files
// and checks that every center, interval, delta and p-value of our tables
// agrees with its CSV output.
func TestBenchstatParity(t *testing.T) {
	benchstat := buildBenchstat(t)
	tests := []struct {
		name  string
		files []string
		args  []string // benchstat flags, mirrored in opts
		opts  benchkit.CompareOptions
	}{
		{name: "real-v1-v3", files: []string{"testdata/base64-v1.txt", "testdata/base64-v3.txt"}},
		{
			name:  "real-cross-arch-by-config",
			files: []string{"testdata/base64-native.txt", "testdata/base64-qemu.txt"},
			args:  []string{"-col", "config", "-table", "pkg", "-ignore", "goarch,cpu,round,machine-loadavg,warn-load,exec,emulated,translated"},
			opts:  benchkit.CompareOptions{Col: "config", Table: "pkg", Ignore: "goarch,cpu,round,machine-loadavg,warn-load,exec,emulated,translated"},
		},
		{
			name:  "real-alpha-confidence",
			files: []string{"testdata/base64-v1.txt", "testdata/base64-v3.txt"},
			args:  []string{"-alpha", "0.2", "-confidence", "0.9"},
			opts:  benchkit.CompareOptions{Alpha: 0.2, Confidence: 0.9},
		},
		{name: "zero-variance", files: []string{"testdata/edge/zerovar-old.txt", "testdata/edge/zerovar-new.txt"}},
		{name: "small-samples-and-zeros", files: []string{"testdata/edge/small-old.txt", "testdata/edge/small-new.txt"}},
		{name: "missing-rows", files: []string{"testdata/edge/missing-old.txt", "testdata/edge/missing-new.txt"}},
		{name: "ties", files: []string{"testdata/edge/ties-old.txt", "testdata/edge/ties-new.txt"}},
		{name: "three-columns", files: []string{"testdata/base64-v1.txt", "testdata/base64-v3.txt", "testdata/base64-native.txt"},
			args: []string{"-col", ".file", "-table", "pkg", "-ignore", "goarch,cpu,round,machine-loadavg,warn-load,exec,emulated,translated,config,goos"},
			opts: benchkit.CompareOptions{Col: ".file", Table: "pkg", Ignore: "goarch,cpu,round,machine-loadavg,warn-load,exec,emulated,translated,config,goos"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{"-format", "csv"}, tt.args...), tt.files...)
			cmd := exec.CommandContext(t.Context(), benchstat, args...)
			out := testenv.Run(t, cmd)
			want := parseBenchstatCSV(t, out)

			r, err := benchkit.CompareFiles(tt.opts, tt.files...)
			if err != nil {
				t.Fatal(err)
			}
			cells := 0
			for _, tab := range r.Tables {
				wantRows := want[tab.Unit]
				if wantRows == nil {
					t.Errorf("unit %s: not in benchstat's output", tab.Unit)
					continue
				}
				if len(wantRows) != len(tab.Rows) {
					t.Errorf("unit %s: %d rows, benchstat %d", tab.Unit, len(tab.Rows), len(wantRows))
				}
				for _, row := range tab.Rows {
					for j, c := range row.Cells {
						if c == nil {
							continue
						}
						col := tab.Columns[j].Name
						w, ok := wantRows[row.Name][col]
						if !ok {
							t.Errorf("%s %s %s: not in benchstat's output", tab.Unit, row.Name, col)
							continue
						}
						cells++
						checkParity(t, fmt.Sprintf("%s %s %s", tab.Unit, row.Name, col), w, c, row.Cells[0], r.Alpha)
					}
				}
			}
			if cells == 0 {
				t.Fatalf("no cells compared; benchstat said:\n%s", out)
			}
			t.Logf("%d cells agree", cells)
		})
	}
}

func checkParity(t *testing.T, where string, w benchstatCell, c, base *benchkit.Cell, alpha float64) {
	t.Helper()
	if got := fmt.Sprint(c.Center); got != w.center {
		t.Errorf("%s: center %s, benchstat %s", where, got, w.center)
	}
	sum := benchmath.Summary{Center: c.Center, Lo: c.Lo, Hi: c.Hi}
	if got := sum.PctRangeString(); got != w.ci {
		t.Errorf("%s: interval ±%s, benchstat ±%s", where, got, w.ci)
	}
	if c.Vs == nil {
		if w.delta != "" {
			t.Errorf("%s: no comparison, benchstat %s (%s)", where, w.delta, w.pn)
		}
		return
	}
	cmp := benchmath.Comparison{P: c.Vs.P, N1: c.Vs.N1, N2: c.Vs.N2, Alpha: alpha}
	if got := cmp.FormatDelta(base.Center, c.Center); got != w.delta {
		t.Errorf("%s: delta %s, benchstat %s", where, got, w.delta)
	}
	if got := cmp.String(); got != w.pn {
		t.Errorf("%s: %s, benchstat %s", where, got, w.pn)
	}
	// The p-value itself, beyond its three printed digits' rounding.
	if p, ok := strings.CutPrefix(w.pn, "p="); ok {
		p, _, _ = strings.Cut(p, " ")
		wp, err := strconv.ParseFloat(p, 64)
		if err != nil || math.Abs(wp-c.Vs.P) > 0.0005 {
			t.Errorf("%s: p=%v, benchstat %s", where, c.Vs.P, w.pn)
		}
	}
	// benchstat's delta is from the same centers; check the number too.
	if !math.IsNaN(c.Vs.Pct) && base.Center != 0 {
		if want := (c.Center/base.Center - 1) * 100; math.Abs(want-c.Vs.Pct) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Errorf("%s: delta_pct %v, want %v", where, c.Vs.Pct, want)
		}
	}
}
