package load

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
	"time"
)

// A PlotSeries is one line of a latency-percentile plot.
type PlotSeries struct {
	Name string
	Hist *Histogram
}

// Plot geometry, in SVG user units.
const (
	plotW, plotH             = 800, 480
	plotLeft, plotRight      = 80, 32
	plotTop, plotBottom      = 40, 60
	plotNines                = 5 // x axis runs to 99.999%
	plotPoints               = 200
	plotTitle                = "Latency by percentile"
	plotLegendRowH           = 18
	plotFont                 = `font-family="sans-serif" font-size="12"`
	plotGridColor            = "#ddd"
	plotAxisColor            = "#333"
	plotLineWidth            = 2
	plotMinLatency           = time.Microsecond
	plotMinDecadesOfLatency  = 1
	plotLegendX, plotLegendY = plotLeft + 10, plotTop + 10
)

// plotColors is a palette whose neighbours differ in hue and lightness
// (Paul Tol's "bright" scheme), legible when printed in grey.
var plotColors = []string{"#4477aa", "#ee6677", "#228833", "#ccbb44", "#66ccee", "#aa3377", "#bbbbbb"}

// WritePercentileSVG writes an SVG plot of latency against percentile for
// one or more series, in the style of HdrHistogram's plots: the x axis
// spreads the tail (50%, 90%, 99%, 99.9%, ...) evenly, the y axis is
// logarithmic. Corrected and uncorrected latencies of one open-loop run
// make a telling pair of series.
func WritePercentileSVG(w io.Writer, series []PlotSeries) error {
	var b strings.Builder
	pw, ph := float64(plotW-plotLeft-plotRight), float64(plotH-plotTop-plotBottom)
	// y range: whole decades around all series' values.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range series {
		if s.Hist == nil || s.Hist.Count() == 0 {
			continue
		}
		lo = math.Min(lo, float64(max(s.Hist.Percentile(0), plotMinLatency)))
		hi = math.Max(hi, float64(max(s.Hist.Max(), plotMinLatency)))
	}
	if math.IsInf(lo, 1) {
		lo, hi = float64(time.Millisecond), float64(time.Second)
	}
	dlo, dhi := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if dhi-dlo < plotMinDecadesOfLatency {
		dhi = dlo + plotMinDecadesOfLatency
	}
	xOf := func(nines float64) float64 { return plotLeft + pw*nines/plotNines }
	// Values below the axis' bottom decade (zeros) are drawn on it.
	bottom := math.Pow(10, dlo)
	yOf := func(ns float64) float64 {
		return plotTop + ph*(1-(math.Log10(math.Max(ns, bottom))-dlo)/(dhi-dlo))
	}
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">`+"\n", plotW, plotH, plotW, plotH)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", plotW, plotH)
	fmt.Fprintf(&b, `<text x="%d" y="24" font-family="sans-serif" font-size="16" text-anchor="middle">%s</text>`+"\n", plotW/2, plotTitle)
	// x grid: 0%, 90%, 99%, ... as "nines" 0..plotNines.
	for k := 0; k <= plotNines; k++ {
		x := xOf(float64(k))
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s"/>`+"\n", x, plotTop, x, plotH-plotBottom, plotGridColor)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" %s text-anchor="middle">%s</text>`+"\n", x, plotH-plotBottom+18, plotFont, ninesLabel(k))
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" %s text-anchor="middle">percentile</text>`+"\n", plotLeft+int(pw)/2, plotH-plotBottom+40, plotFont)
	// y grid: decades.
	for d := dlo; d <= dhi; d++ {
		y := yOf(math.Pow(10, d))
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s"/>`+"\n", plotLeft, y, plotW-plotRight, y, plotGridColor)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" %s text-anchor="end">%s</text>`+"\n", plotLeft-6, y+4, plotFont, time.Duration(math.Pow(10, d)))
	}
	fmt.Fprintf(&b, `<text x="16" y="%d" %s text-anchor="middle" transform="rotate(-90 16 %d)">latency</text>`+"\n",
		plotTop+int(ph)/2, plotFont, plotTop+int(ph)/2)
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="%s"/>`+"\n", plotLeft, plotTop, pw, ph, plotAxisColor)
	for i, s := range series {
		color := plotColors[i%len(plotColors)]
		if s.Hist != nil && s.Hist.Count() > 0 {
			var pts strings.Builder
			for j := 0; j <= plotPoints; j++ {
				nines := float64(j) * plotNines / plotPoints
				p := 100 * (1 - math.Pow(10, -nines))
				if 1/(1-p/100) > float64(s.Hist.Count()) {
					// Beyond the resolution of this many samples: the rest is the max.
					p = 100
				}
				fmt.Fprintf(&pts, "%.1f,%.1f ", xOf(nines), yOf(float64(s.Hist.Percentile(p))))
			}
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="%d" points="%s"/>`+"\n", color, plotLineWidth, strings.TrimSpace(pts.String()))
		}
		y := plotLegendY + plotLegendRowH*i
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"/>`+"\n", plotLegendX, y+6, plotLegendX+20, y+6, color)
		fmt.Fprintf(&b, `<text x="%d" y="%d" %s>%s</text>`+"\n", plotLegendX+26, y+10, plotFont, html.EscapeString(s.Name))
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func ninesLabel(k int) string {
	if k == 0 {
		return "0%"
	}
	p := 100 * (1 - math.Pow(10, -float64(k)))
	return fmt.Sprintf("%.*f%%", max(k-2, 0), p)
}
