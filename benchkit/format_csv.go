package benchkit

import (
	"encoding/csv"
	"io"
	"math"
	"strconv"
	"strings"
)

// csvHeader is the header of [Report.WriteCSV]'s output.
var csvHeader = []string{
	"table", "unit", "kind", "benchmark", "column",
	"center", "lo", "hi", "n",
	"vs", "delta_pct", "p", "significant", "ratio", "ratio_lo", "ratio_hi",
	"warnings",
}

// WriteCSV writes r as comma-separated values: one header line and one
// record per benchmark and column, every record with the same fields, so
// that a spreadsheet or a CSV library reads it as one table (benchstat's
// CSV interleaves table headings and rows of different lengths:
// golang/go#67760). The fields are:
//
//	table        the table's configuration, "key=value" pairs joined by spaces
//	unit         the unit, tidied (sec/op, B/op, …)
//	kind         "row" for a benchmark, "geomean" for a table's summary
//	benchmark    the row's name
//	column       the column's name
//	center       the median (the geometric mean for kind=geomean)
//	lo, hi       its confidence interval (-Inf/+Inf when there is none)
//	n            the sample size
//	vs           the baseline column the next fields compare against
//	delta_pct    the change of center against the baseline, in percent
//	p            the Mann–Whitney U test's p-value
//	significant  "true" when p <= alpha
//	ratio, ratio_lo, ratio_hi
//	             the Hodges–Lehmann ratio to the baseline and its interval
//	warnings     the cell's warnings joined by "; "
//
// Numbers are written in full precision with strconv's shortest 'g'
// form; fields that do not apply are empty.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(csvHeader)
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for _, t := range r.Tables {
		table := configString(t.Config)
		for _, row := range t.Rows {
			for j, c := range row.Cells {
				if c == nil {
					continue
				}
				rec := []string{table, t.Unit, "row", row.Name, t.Columns[j].Name,
					f(c.Center), f(c.Lo), f(c.Hi), strconv.Itoa(c.N()),
					"", "", "", "", "", "", "", ""}
				warnings := c.Warnings
				if d := c.Vs; d != nil {
					rec[9] = t.Columns[0].Name
					rec[10] = f(d.Pct)
					rec[11] = f(d.P)
					rec[12] = strconv.FormatBool(d.Significant)
					if est, lo, hi := d.Ratio(); !math.IsNaN(est) {
						rec[13], rec[14], rec[15] = f(est), f(lo), f(hi)
					}
					warnings = append(warnings[:len(warnings):len(warnings)], d.Warnings...)
				}
				rec[16] = strings.Join(warnings, "; ")
				cw.Write(rec)
			}
		}
		if gm := t.Geomean; gm != nil {
			for j, col := range t.Columns {
				rec := []string{table, t.Unit, "geomean", "geomean", col.Name,
					f(gm.Centers[j]), "", "", strconv.Itoa(gm.Rows),
					"", "", "", "", "", "", "", strings.Join(gm.Warnings, "; ")}
				if j > 0 {
					rec[9], rec[10] = t.Columns[0].Name, f(gm.Pct[j])
				}
				cw.Write(rec)
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

func configString(kvs []KeyValue) string {
	parts := make([]string, len(kvs))
	for i, kv := range kvs {
		parts[i] = kv.Key + "=" + kv.Value
	}
	return strings.Join(parts, " ")
}
