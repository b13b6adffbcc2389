package benchkit

import (
	"bufio"
	"io"
	"slices"
)

// serverMetricNames are the row labels of WriteMetrics for
// ServerBench's units.
var serverMetricNames = map[string]string{
	UnitReqPerSec:  "throughput (req/s)",
	UnitP50:        "latency p50",
	UnitP99:        "latency p99",
	UnitErrors:     "errors",
	UnitGCPauseP99: "GC pause p99",
	UnitGCCycles:   "GC cycles/s",
	UnitGCCPU:      "GC CPU %",
	UnitAllocRate:  "allocation (B/s)",
	UnitPeakRSS:    "peak RSS (B)",
	UnitServerCPU:  "server CPU (s)",
}

// WriteMetrics writes r as one table with a row per metric (a table's
// unit, and its benchmark when a table has several) and a column per
// configuration, each after the first followed by its change against
// the first with the U test's p-value: the layout of a server
// comparison, where every metric has one benchmark. It writes Markdown
// when markdown is set, aligned text otherwise.
func (r *Report) WriteMetrics(out io.Writer, markdown bool) error {
	var cols []string
	for _, t := range r.Tables {
		for _, c := range t.Columns {
			if !slices.Contains(cols, c.Name) {
				cols = append(cols, c.Name)
			}
		}
	}
	g := &grid{}
	head := []string{"metric"}
	g.right = []bool{false}
	for j, c := range cols {
		head = append(head, c)
		g.right = append(g.right, true)
		if j > 0 {
			head = append(head, "vs "+cols[0])
			g.right = append(g.right, false)
		}
	}
	g.header = [][]string{head}

	tables := slices.Clone(r.Tables)
	order := func(t *Table) int {
		for i, u := range serverUnits {
			if u.unit == t.Unit {
				return i
			}
		}
		return len(serverUnits)
	}
	slices.SortStableFunc(tables, func(a, b *Table) int { return order(a) - order(b) })
	for _, t := range tables {
		label := serverMetricNames[t.Unit]
		if label == "" {
			label = t.Unit
		}
		for _, row := range t.Rows {
			name := label
			if len(t.Rows) > 1 {
				name = row.Name + " " + label
			}
			sc := rowScaler(t, row)
			cells := make([]*Cell, len(cols))
			for j, c := range t.Columns {
				cells[slices.Index(cols, c.Name)] = row.Cells[j]
			}
			line := []string{name}
			for j, c := range cells {
				if c == nil {
					line = append(line, "")
				} else {
					line = append(line, withNote(centerString(c, sc), g.notes.mark(c.Warnings)))
				}
				if j == 0 {
					continue
				}
				if c == nil || c.Vs == nil || cells[0] == nil || t.Columns[0].Name != cols[0] {
					line = append(line, "")
					continue
				}
				line = append(line, withNote(deltaString(c.Vs, cells[0], c, r.Alpha), g.notes.mark(c.Vs.Warnings)))
			}
			g.rows = append(g.rows, line)
		}
	}
	w := bufio.NewWriter(out)
	if markdown {
		g.writeMarkdown(w)
	} else {
		g.writeText(w)
	}
	if len(r.Warnings) > 0 {
		w.WriteByte('\n')
	}
	for _, msg := range r.Warnings {
		if markdown {
			w.WriteString("- warning: " + mdEscape(msg) + "\n")
		} else {
			w.WriteString("warning: " + msg + "\n")
		}
	}
	return w.Flush()
}
