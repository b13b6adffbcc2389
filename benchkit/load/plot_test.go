package load

import (
	"bytes"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

var svgOut = flag.String("svgout", "", "write TestPercentileSVG's plot to this file, to look at it")

func TestPercentileSVG(t *testing.T) {
	// A 100 req/s run with a one-second stall, as the coordinated-omission
	// test sees it: corrected latencies ramp from 1 s down; uncorrected
	// ones have two stalled requests.
	var corrected, uncorrected Histogram
	for i := range 400 {
		base := 200*time.Microsecond + time.Duration(i%7)*30*time.Microsecond
		uncorrected.Record(base)
		if i >= 150 && i < 250 {
			corrected.Record(time.Duration(250-i)*10*time.Millisecond + base)
		} else {
			corrected.Record(base)
		}
	}
	uncorrected.Record(time.Second)
	var buf bytes.Buffer
	err := WritePercentileSVG(&buf, []PlotSeries{
		{Name: "corrected (from scheduled send)", Hist: &corrected},
		{Name: "uncorrected (from actual send) <&>", Hist: &uncorrected},
		{Name: "empty", Hist: &Histogram{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The oracle: an XML parser reads it to the end.
	dec := xml.NewDecoder(bytes.NewReader(buf.Bytes()))
	polylines := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if se.Name.Local == "polyline" {
			polylines++
		}
		// encoding/xml accepts repeated attributes; XML and browsers do not.
		seen := map[string]bool{}
		for _, a := range se.Attr {
			if seen[a.Name.Local] {
				t.Errorf("<%s> repeats attribute %s", se.Name.Local, a.Name.Local)
			}
			seen[a.Name.Local] = true
		}
	}
	if polylines != 2 {
		t.Errorf("%d lines plotted, want 2 (the empty series has none)", polylines)
	}
	if !strings.Contains(buf.String(), "99.99%") {
		t.Errorf("no 99.99%% label")
	}
	if *svgOut != "" {
		if err := os.WriteFile(*svgOut, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// The y axis' decades are evenly spaced, and the lowest values are drawn at
// the bottom decade, even when the smallest value lies just below a
// decade's line (it was once drawn, with the bottom label, on that line).
func TestPercentileSVGAxis(t *testing.T) {
	var h Histogram
	h.Record(9500 * time.Nanosecond)
	for range 100 {
		h.Record(300 * time.Microsecond)
	}
	h.Record(2 * time.Millisecond)
	var buf bytes.Buffer
	if err := WritePercentileSVG(&buf, []PlotSeries{{Name: "h", Hist: &h}}); err != nil {
		t.Fatal(err)
	}
	type text struct {
		Y    float64 `xml:"y,attr"`
		Body string  `xml:",chardata"`
	}
	type polyline struct {
		Points string `xml:"points,attr"`
	}
	var svg struct {
		Texts []text     `xml:"text"`
		Lines []polyline `xml:"polyline"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &svg); err != nil {
		t.Fatal(err)
	}
	var ys []float64
	for _, d := range []string{"1µs", "10µs", "100µs", "1ms", "10ms"} {
		for _, tx := range svg.Texts {
			if tx.Body == d {
				ys = append(ys, tx.Y)
			}
		}
	}
	if len(ys) != 5 {
		t.Fatalf("decade labels at %v, want 1µs to 10ms", ys)
	}
	step := ys[0] - ys[1]
	for i := 1; i < len(ys); i++ {
		if d := ys[i-1] - ys[i]; d < step-0.5 || d > step+0.5 {
			t.Errorf("decade labels at %v: not evenly spaced", ys)
		}
	}
	if len(svg.Lines) != 1 {
		t.Fatalf("%d lines, want 1", len(svg.Lines))
	}
	first, _, _ := strings.Cut(svg.Lines[0].Points, " ")
	_, y, _ := strings.Cut(first, ",")
	// 9.5 µs sits log10(10/9.5) ≈ 0.022 decades below the 10µs line
	// (labels are 4 px below their lines).
	tenUs := ys[1] - 4
	if got, err := strconv.ParseFloat(y, 64); err != nil || got <= tenUs || got > tenUs+0.05*step {
		t.Errorf("the smallest value is drawn at y=%s, want just below the 10µs line at %.1f", y, tenUs)
	}
}
