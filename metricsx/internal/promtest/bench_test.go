package promtest_test

import (
	"bytes"
	"testing"

	"github.com/nativego/nativego/metricsx"
	"github.com/prometheus/common/expfmt"
)

// BenchmarkScrape measures what one scrape of every runtime metric costs
// the scraped process, side by side: metricsx reading a snapshot and
// writing the text format, and client_golang's registry gathering its Go
// collector (every runtime metric, MemStats off) and encoding the text
// format. Neither includes process metrics. Compare with
//
//	go test -run '^$' -bench Scrape -count 10 | benchstat -col /exporter -
func BenchmarkScrape(b *testing.B) {
	b.Run("exporter=metricsx", func(b *testing.B) {
		s := metricsx.ReadSnapshot()
		var out bytes.Buffer
		opts := metricsx.PromOptions{NoProcess: true}
		b.ReportAllocs()
		for b.Loop() {
			out.Reset()
			s.Read()
			if err := metricsx.WritePrometheus(&out, s, opts); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(out.Len()), "bytes/scrape")
	})
	b.Run("exporter=client_golang", func(b *testing.B) {
		reg := clientGolangRegistry()
		var out bytes.Buffer
		format := expfmt.NewFormat(expfmt.TypeTextPlain)
		b.ReportAllocs()
		for b.Loop() {
			out.Reset()
			mfs, err := reg.Gather()
			if err != nil {
				b.Fatal(err)
			}
			enc := expfmt.NewEncoder(&out, format)
			for _, mf := range mfs {
				if err := enc.Encode(mf); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(out.Len()), "bytes/scrape")
	})
}
