package benchkit

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strings"

	"golang.org/x/perf/benchunit"
)

// Layout of the SVG chart, in pixels. Text widths are estimated from the
// character count: 0.62 em per character bounds the common sans-serif
// fonts' digits and lower case at this size.
const (
	svgMargin    = 16
	svgFont      = 12 // labels and values
	svgTitleFont = 15
	svgCharW     = 0.62 * svgFont
	svgBarH      = 14
	svgBarGap    = 3
	svgGroupGap  = 14
	svgBarsW     = 440 // the bars' area
	svgColGap    = 14
	svgMaxLabelW = 320
)

// svgPalette holds the Okabe–Ito colours, distinguishable with the
// common forms of colour blindness; columns take them in order.
var svgPalette = []string{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"}

// svgLayout holds the x positions shared by all panels of a chart.
type svgLayout struct {
	labelW, x0, x1, xVal, xRatio, width float64
	confidence                          float64
}

// WriteSVG writes r as a bar chart: one panel per table, one group of
// horizontal bars per benchmark, one bar per column at the median with
// an error bar over its confidence interval; to the right, each bar's
// value and interval as text and, for each column after the first, its
// ratio to the first with the ratio's interval. Each benchmark's bars
// share a scale starting at zero, so bars compare within a group; groups
// are scaled separately, because the benchmarks of one table can differ
// by orders of magnitude.
func (r *Report) WriteSVG(out io.Writer) error {
	w := bufio.NewWriter(out)
	var l svgLayout
	l.labelW = 80
	l.confidence = r.Confidence
	valW, ratioW := float64(width("median ± CI")), float64(width("ratio to baseline [CI]"))
	for _, t := range r.Tables {
		for _, row := range t.Rows {
			l.labelW = max(l.labelW, float64(width(row.Name))*svgCharW)
			sc := rowScaler(t, row)
			for j, c := range row.Cells {
				if c == nil {
					continue
				}
				valW = max(valW, float64(width(svgValue(c, sc))))
				if j > 0 {
					ratioW = max(ratioW, float64(width(svgRatio(c))))
				}
			}
		}
	}
	l.labelW = min(l.labelW, svgMaxLabelW)
	l.x0 = svgMargin + l.labelW + 8
	l.x1 = l.x0 + svgBarsW
	l.xVal = l.x1 + svgColGap
	l.xRatio = l.xVal + valW*svgCharW + svgColGap
	l.width = l.xRatio + ratioW*svgCharW + svgMargin

	var body strings.Builder
	y := float64(svgMargin)
	for ti, t := range r.Tables {
		if ti > 0 {
			y += 2 * svgGroupGap
		}
		y = svgTablePanel(&body, t, y, &l)
	}
	if len(r.Tables) == 0 {
		y += svgTitleFont
		svgText(&body, svgMargin, y, "start", "", "no benchmark results")
	}
	y += svgMargin

	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="%d">`+"\n",
		l.width, y, l.width, y, svgFont)
	fmt.Fprintf(w, `<rect width="100%%" height="100%%" fill="#ffffff"/>`+"\n")
	w.WriteString(body.String())
	w.WriteString("</svg>\n")
	return w.Flush()
}

// svgValue is the text beside a bar.
func svgValue(c *Cell, sc benchunit.Scaler) string {
	if math.IsInf(c.Lo, 0) || math.IsInf(c.Hi, 0) {
		return sc.Format(c.Center) + fmt.Sprintf(" (n=%d: no interval)", c.N())
	}
	return centerString(c, sc)
}

// svgRatio is the ratio text of a non-baseline bar.
func svgRatio(c *Cell) string {
	if c.Vs == nil {
		return ""
	}
	if est, _, _ := c.Vs.Ratio(); math.IsNaN(est) {
		return ""
	}
	s := ratioString(c.Vs)
	if !c.Vs.Significant {
		s += fmt.Sprintf(" p=%.2f ~", c.Vs.P)
	}
	return s
}

// svgTablePanel draws one table starting at y and returns the y below it.
func svgTablePanel(b *strings.Builder, t *Table, y float64, l *svgLayout) float64 {
	// Title: unit, which way is better, and the table's configuration.
	y += svgTitleFont
	title := t.Unit
	switch t.Better {
	case -1:
		title += " (lower is better)"
	case 1:
		title += " (higher is better)"
	}
	svgText(b, svgMargin, y, "start", fmt.Sprintf(`font-size="%d" font-weight="bold"`, svgTitleFont), title)
	if len(t.Config) > 0 {
		y += svgFont + 4
		svgText(b, svgMargin, y, "start", `fill="#555555"`, configString(t.Config))
	}
	// Legend, then the headings of the text columns on the same line.
	y += svgFont + 10
	lx := float64(svgMargin)
	for j, col := range t.Columns {
		// A column already named for how it ran ("emulated") is not
		// labelled twice.
		name := col.Name
		lower := strings.ToLower(name)
		switch {
		case j == 0 && len(t.Columns) > 1:
			name += " (baseline)"
		case col.Translated && !strings.Contains(lower, "translated"):
			name += " (translated)"
		case col.Emulated && !strings.Contains(lower, "emulated"):
			name += " (emulated)"
		}
		itemW := 16 + float64(width(name))*svgCharW + 18
		if lx > svgMargin && lx+itemW > l.width-svgMargin {
			// Wrap the legend rather than run off the chart.
			lx = svgMargin
			y += svgFont + 6
		}
		fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="12" height="12" fill="%s"/>`+"\n", lx, y-10, svgColor(j))
		svgText(b, lx+16, y, "start", "", name)
		lx += itemW
	}
	y += svgFont + 6
	head := `fill="#555555" font-style="italic"`
	svgText(b, l.x0, y, "start", head, "each benchmark scaled to its largest value; whiskers: "+fmt.Sprintf("%.0f%%", 100*l.confidence)+" CI")
	svgText(b, l.xVal, y, "start", head, "median ± CI")
	if len(t.Columns) > 1 {
		svgText(b, l.xRatio, y, "start", head, "ratio to baseline [CI]")
	}

	for _, row := range t.Rows {
		y += svgGroupGap
		// The group's scale: the largest finite end of a bar or interval.
		top := 0.0
		for _, c := range row.Cells {
			if c == nil {
				continue
			}
			for _, v := range []float64{c.Center, c.Hi} {
				if !math.IsInf(v, 0) && !math.IsNaN(v) {
					top = max(top, v)
				}
			}
		}
		if top <= 0 {
			top = 1
		}
		scale := func(v float64) float64 {
			return l.x0 + (l.x1-l.x0)*math.Max(0, math.Min(v, top))/top
		}
		groupH := float64(len(row.Cells))*(svgBarH+svgBarGap) - svgBarGap
		name := row.Name
		if float64(width(name))*svgCharW > l.labelW {
			n := int(l.labelW/svgCharW) - 1
			name = string([]rune(name)[:max(n, 1)]) + "…"
		}
		svgText(b, l.x0-8, y+groupH/2+svgFont/2-2, "end", "", name)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#999999"/>`+"\n", l.x0, y-2, l.x0, y+groupH+2)
		sc := rowScaler(t, row)
		for j, c := range row.Cells {
			by := y + float64(j)*(svgBarH+svgBarGap)
			ty := by + svgBarH - 3
			if c == nil {
				svgText(b, l.x0+4, ty, "start", `fill="#777777" font-style="italic"`, "missing")
				continue
			}
			if !math.IsNaN(c.Center) {
				fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%d" fill="%s" fill-opacity="0.85"/>`+"\n",
					l.x0, by, scale(c.Center)-l.x0, svgBarH, svgColor(j))
			}
			if !math.IsInf(c.Lo, 0) && !math.IsInf(c.Hi, 0) {
				xl, xh, mid := scale(c.Lo), scale(c.Hi), by+svgBarH/2
				fmt.Fprintf(b, `<path d="M%.1f %.1fH%.1fM%.1f %.1fV%.1fM%.1f %.1fV%.1f" stroke="#222222" stroke-width="1.5" fill="none"/>`+"\n",
					xl, mid, xh, xl, mid-4, mid+4, xh, mid-4, mid+4)
			}
			svgText(b, l.xVal, ty, "start", fmt.Sprintf(`fill="%s"`, svgTextColor(j)), svgValue(c, sc))
			if j > 0 {
				svgText(b, l.xRatio, ty, "start", "", svgRatio(c))
			}
		}
		y += groupH
	}
	return y
}

func svgColor(j int) string { return svgPalette[j%len(svgPalette)] }

// svgTextColor darkens the light palette entries so that value text in
// a column's colour stays readable on white.
func svgTextColor(j int) string {
	switch c := svgColor(j); c {
	case "#E69F00":
		return "#A66F00"
	case "#F0E442", "#56B4E9":
		return "#333333"
	default:
		return c
	}
}

func svgText(b *strings.Builder, x, y float64, anchor, attrs, s string) {
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="%s"`, x, y, anchor)
	if attrs != "" {
		b.WriteString(" " + attrs)
	}
	b.WriteString(">")
	xml.EscapeText(b, []byte(s))
	b.WriteString("</text>\n")
}
