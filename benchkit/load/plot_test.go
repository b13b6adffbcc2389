package load

import (
	"bytes"
	"encoding/xml"
	"flag"
	"io"
	"os"
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
