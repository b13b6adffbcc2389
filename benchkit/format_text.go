package benchkit

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchunit"
)

// A grid is a table of strings laid out by the text and Markdown writers.
// Header rows come first; right[i] says column i is right-aligned.
type grid struct {
	header [][]string
	rows   [][]string
	right  []bool
	notes  footnotes
}

// footnotes numbers distinct warning texts in order of first use.
type footnotes struct {
	list  []string
	index map[string]int
}

// mark returns the superscript references for msgs, numbering new ones.
func (f *footnotes) mark(msgs ...[]string) string {
	var refs []string
	for _, ms := range msgs {
		for _, m := range ms {
			if f.index == nil {
				f.index = make(map[string]int)
			}
			i, ok := f.index[m]
			if !ok {
				f.list = append(f.list, m)
				i = len(f.list)
				f.index[m] = i
			}
			refs = append(refs, superscript(i))
		}
	}
	return strings.Join(refs, " ")
}

func superscript(n int) string {
	const digits = "⁰¹²³⁴⁵⁶⁷⁸⁹"
	s := fmt.Sprint(n)
	var b strings.Builder
	for _, c := range s {
		r := []rune(digits)[c-'0']
		b.WriteRune(r)
	}
	return b.String()
}

// withNote appends footnote marks to s.
func withNote(s, marks string) string {
	if marks == "" {
		return s
	}
	return s + " " + marks
}

// centerString formats a cell as benchstat does: "1.234µ ± 2%".
func centerString(c *Cell, sc benchunit.Scaler) string {
	sum := benchmath.Summary{Center: c.Center, Lo: c.Lo, Hi: c.Hi}
	return sc.Format(c.Center) + " ± " + sum.PctRangeString()
}

// deltaString formats a comparison as benchstat does:
// "-9.97% (p=0.002 n=6)" or "~ (p=0.394 n=6)".
func deltaString(d *Delta, base, c *Cell, alpha float64) string {
	cmp := benchmath.Comparison{P: d.P, N1: d.N1, N2: d.N2, Alpha: alpha}
	return cmp.FormatDelta(base.Center, c.Center) + " (" + cmp.String() + ")"
}

// ratioString formats a ratio and its interval: "×12.3 [11.8, 12.9]".
func ratioString(d *Delta) string {
	est, lo, hi := d.Ratio()
	if math.IsNaN(est) {
		return "?"
	}
	return "×" + fmtRatio(est) + " [" + fmtRatio(lo) + ", " + fmtRatio(hi) + "]"
}

// fmtRatio formats a ratio with three significant digits, keeping
// trailing zeros so that a column of ratios lines up: 1.00, 12.3, 0.987.
func fmtRatio(v float64) string {
	switch a := math.Abs(v); {
	case math.IsInf(v, 1):
		return "∞"
	case math.IsNaN(v):
		return "?"
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1 || a == 0:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

func rowScaler(t *Table, row *Row) benchunit.Scaler {
	var vals []float64
	for _, c := range row.Cells {
		if c != nil && !math.IsNaN(c.Center) {
			vals = append(vals, c.Center)
		}
	}
	return benchunit.CommonScale(vals, benchunit.ClassOf(t.Unit))
}

// tableGrid lays out t the way benchstat does: per column the center with
// its interval, and after each column but the first its change against
// the first.
func tableGrid(t *Table, alpha float64) *grid {
	g := &grid{}
	h1, h2 := []string{""}, []string{"benchmark"}
	g.right = []bool{false}
	for j, col := range t.Columns {
		h1 = append(h1, col.Name)
		h2 = append(h2, t.Unit)
		g.right = append(g.right, true)
		if j > 0 {
			h1 = append(h1, "")
			h2 = append(h2, "vs base")
			g.right = append(g.right, false)
		}
	}
	g.header = [][]string{h1, h2}
	for _, row := range t.Rows {
		sc := rowScaler(t, row)
		r := []string{row.Name}
		for j, c := range row.Cells {
			switch {
			case c == nil:
				r = append(r, "")
			default:
				r = append(r, withNote(centerString(c, sc), g.notes.mark(c.Warnings)))
			}
			if j == 0 {
				continue
			}
			if c == nil || c.Vs == nil {
				r = append(r, "")
				continue
			}
			r = append(r, withNote(deltaString(c.Vs, row.Cells[0], c, alpha), g.notes.mark(c.Vs.Warnings)))
		}
		g.rows = append(g.rows, r)
	}
	if gm := t.Geomean; gm != nil {
		cls := benchunit.ClassOf(t.Unit)
		r := []string{withNote("geomean", g.notes.mark(gm.Warnings))}
		for j := range t.Columns {
			if math.IsNaN(gm.Centers[j]) {
				r = append(r, "?")
			} else {
				r = append(r, benchunit.Scale(gm.Centers[j], cls))
			}
			if j > 0 {
				if math.IsNaN(gm.Pct[j]) {
					r = append(r, "?")
				} else {
					r = append(r, fmt.Sprintf("%+.2f%%", gm.Pct[j]))
				}
			}
		}
		g.rows = append(g.rows, r)
	}
	return g
}

// costGrid lays out the translation-cost view of t: for each column after
// the baseline, the ratio column/baseline with its interval and p-value.
func costGrid(t *Table) *grid {
	g := &grid{}
	h := []string{"benchmark", t.Columns[0].Name + " (" + t.Unit + ")"}
	g.right = []bool{false, true}
	for _, col := range t.Columns[1:] {
		h = append(h, col.Name, col.Name+" / "+t.Columns[0].Name, "p")
		g.right = append(g.right, true, true, true)
	}
	g.header = [][]string{h}
	for _, row := range t.Rows {
		sc := rowScaler(t, row)
		r := []string{row.Name}
		if c := row.Cells[0]; c != nil {
			r = append(r, withNote(centerString(c, sc), g.notes.mark(c.Warnings)))
		} else {
			r = append(r, "")
		}
		for _, c := range row.Cells[1:] {
			if c == nil {
				r = append(r, "", "", "")
				continue
			}
			r = append(r, withNote(centerString(c, sc), g.notes.mark(c.Warnings)))
			if c.Vs == nil {
				r = append(r, "", "")
				continue
			}
			r = append(r, ratioString(c.Vs), withNote(fmt.Sprintf("%.3f", c.Vs.P), g.notes.mark(c.Vs.Warnings)))
		}
		g.rows = append(g.rows, r)
	}
	if gm := t.Geomean; gm != nil && !math.IsNaN(gm.Centers[0]) {
		cls := benchunit.ClassOf(t.Unit)
		r := []string{withNote("geomean", g.notes.mark(gm.Warnings)), benchunit.Scale(gm.Centers[0], cls)}
		for j := 1; j < len(t.Columns); j++ {
			r = append(r, benchunit.Scale(gm.Centers[j], cls), "×"+fmtRatio(gm.Centers[j]/gm.Centers[0]), "")
		}
		g.rows = append(g.rows, r)
	}
	return g
}

func width(s string) int { return utf8.RuneCountInString(s) }

func (g *grid) writeText(w *bufio.Writer) {
	n := 0
	for _, r := range append(g.header, g.rows...) {
		n = max(n, len(r))
	}
	widths := make([]int, n)
	for _, r := range append(g.header, g.rows...) {
		for i, s := range r {
			widths[i] = max(widths[i], width(s))
		}
	}
	line := func(r []string) {
		var b strings.Builder
		for i := range n {
			s := ""
			if i < len(r) {
				s = r[i]
			}
			pad := strings.Repeat(" ", widths[i]-width(s))
			if i > 0 {
				b.WriteString("  ")
			}
			if i < len(g.right) && g.right[i] {
				b.WriteString(pad + s)
			} else {
				b.WriteString(s + pad)
			}
		}
		w.WriteString(strings.TrimRight(b.String(), " "))
		w.WriteByte('\n')
	}
	for _, r := range g.header {
		line(r)
	}
	for _, r := range g.rows {
		line(r)
	}
	for i, msg := range g.notes.list {
		fmt.Fprintf(w, "%s %s\n", superscript(i+1), msg)
	}
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "*", `\*`, "_", `\_`, "`", "\\`", "<", "&lt;").Replace(s)
}

func (g *grid) writeMarkdown(w *bufio.Writer) {
	n := 0
	for _, r := range append(g.header, g.rows...) {
		n = max(n, len(r))
	}
	row := func(r []string) {
		w.WriteString("|")
		for i := range n {
			s := ""
			if i < len(r) {
				s = mdEscape(r[i])
			}
			w.WriteString(" " + s + " |")
		}
		w.WriteByte('\n')
	}
	// Markdown has one header row: join the header rows per column.
	head := make([]string, n)
	for _, r := range g.header {
		for i, s := range r {
			if s == "" {
				continue
			}
			if head[i] != "" {
				head[i] += " "
			}
			head[i] += s
		}
	}
	row(head)
	w.WriteString("|")
	for i := range n {
		if i < len(g.right) && g.right[i] {
			w.WriteString("--:|")
		} else {
			w.WriteString(":--|")
		}
	}
	w.WriteByte('\n')
	for _, r := range g.rows {
		row(r)
	}
	if len(g.notes.list) > 0 {
		w.WriteByte('\n')
		for i, msg := range g.notes.list {
			fmt.Fprintf(w, "%s %s  \n", superscript(i+1), mdEscape(msg))
		}
	}
}

// A View selects what the text and Markdown writers show.
type View int

const (
	// ViewTable is benchstat's layout: each column's center and
	// interval, and each column's change against the first.
	ViewTable View = iota
	// ViewCost is the translation-cost layout: each column's ratio to
	// the first (the native baseline) with its confidence interval.
	ViewCost
)

// WriteText writes r as aligned plain text, in the given view, followed
// by the report's warnings and the advice on inconclusive rows.
func (r *Report) WriteText(w io.Writer, v View) error {
	return r.writeGrids(w, v, false)
}

// WriteMarkdown writes r as GitHub-flavoured Markdown tables.
func (r *Report) WriteMarkdown(w io.Writer, v View) error {
	return r.writeGrids(w, v, true)
}

func (r *Report) writeGrids(out io.Writer, v View, md bool) error {
	w := bufio.NewWriter(out)
	for i, t := range r.Tables {
		if i > 0 {
			w.WriteByte('\n')
		}
		for _, kv := range t.Config {
			if md {
				fmt.Fprintf(w, "%s: %s  \n", mdEscape(kv.Key), mdEscape(kv.Value))
			} else {
				fmt.Fprintf(w, "%s: %s\n", kv.Key, kv.Value)
			}
		}
		if md && len(t.Config) > 0 {
			w.WriteByte('\n')
		}
		var g *grid
		if v == ViewCost && len(t.Columns) > 1 {
			g = costGrid(t)
		} else {
			g = tableGrid(t, r.Alpha)
		}
		if md {
			g.writeMarkdown(w)
		} else {
			g.writeText(w)
		}
	}
	advice := r.Advice()
	if len(r.Warnings) > 0 || len(advice) > 0 {
		w.WriteByte('\n')
	}
	bullet := ""
	if md {
		bullet = "- "
	}
	for _, msg := range r.Warnings {
		fmt.Fprintf(w, "%swarning: %s\n", bullet, escapeIf(md, msg))
	}
	for _, a := range advice {
		fmt.Fprintf(w, "%sinconclusive: %s\n", bullet, escapeIf(md, a.String()))
	}
	return w.Flush()
}

func escapeIf(md bool, s string) string {
	if md {
		return mdEscape(s)
	}
	return s
}
