package benchkit

import (
	"encoding/json"
	"io"
	"math"
)

// WriteJSON writes r as one indented JSON object:
//
//	{
//	  "confidence": 0.95, "alpha": 0.05,
//	  "tables": [{
//	    "config": {"pkg": "…"}, "unit": "sec/op", "better": -1,
//	    "columns": [{"name": "native"}, {"name": "emulated", "emulated": true}],
//	    "rows": [{
//	      "name": "Encode-2", "unit": "sec/op",
//	      "a": {"column": "native", "center": 1.2e-6, "lo": 1.1e-6, "hi": 1.3e-6, "n": 6},
//	      "b": {"column": "emulated", "center": 1.5e-5, "lo": …, "hi": …, "n": 6},
//	      "delta_pct": 1150.2, "p": 0.002, "significant": true,
//	      "ratio": {"center": 12.5, "lo": 12.1, "hi": 12.9}
//	    }],
//	    "geomean": {"rows": 2, "excluded": 0, "columns": [{"column": "native", "center": …}, …]}
//	  }],
//	  "warnings": ["…"],
//	  "advice": [{"name": "…", "unit": "…", "column": "…", "n": 3, "need": 9, "reason": "…"}]
//	}
//
// Every row compares two columns: "a" is always the baseline (column 0)
// and "b" one other column, so a table of k columns has k−1 rows per
// benchmark (one per other column) and a table of one column has rows
// with "a" alone. "a" or "b" is absent where the benchmark is missing
// from that column, and the comparison fields are absent unless both are
// present. A number that is not finite (an interval too small to exist)
// is written as null.
func (r *Report) WriteJSON(w io.Writer) error {
	out := jsonReport{Confidence: r.Confidence, Alpha: r.Alpha, Warnings: r.Warnings, Tables: []jsonTable{}}
	for _, t := range r.Tables {
		jt := jsonTable{Config: map[string]string{}, Unit: t.Unit, Better: t.Better, Rows: []jsonRow{}}
		for _, kv := range t.Config {
			jt.Config[kv.Key] = kv.Value
		}
		for _, c := range t.Columns {
			jt.Columns = append(jt.Columns, jsonColumn(c))
		}
		for _, row := range t.Rows {
			a := jsonCellOf(t, row, 0)
			if len(t.Columns) == 1 {
				jt.Rows = append(jt.Rows, jsonRow{Name: row.Name, Unit: t.Unit, A: a})
				continue
			}
			for j := 1; j < len(t.Columns); j++ {
				jr := jsonRow{Name: row.Name, Unit: t.Unit, A: a, B: jsonCellOf(t, row, j)}
				if a != nil {
					jr.Warnings = append(jr.Warnings, row.Cells[0].Warnings...)
				}
				if c := row.Cells[j]; c != nil {
					jr.Warnings = append(jr.Warnings, c.Warnings...)
					if d := c.Vs; d != nil {
						jr.DeltaPct, jr.P, jr.Significant = num(d.Pct), num(d.P), &d.Significant
						if est, lo, hi := d.Ratio(); !math.IsNaN(est) {
							jr.Ratio = &jsonInterval{num(est), num(lo), num(hi)}
						}
						jr.Warnings = append(jr.Warnings, d.Warnings...)
					}
				}
				jt.Rows = append(jt.Rows, jr)
			}
		}
		if gm := t.Geomean; gm != nil {
			jg := &jsonGeomean{Rows: gm.Rows, Excluded: gm.Excluded, Warnings: gm.Warnings}
			for j, c := range t.Columns {
				gc := jsonGeoCol{Column: c.Name, Center: num(gm.Centers[j])}
				if j > 0 {
					gc.DeltaPct = num(gm.Pct[j])
				}
				jg.Columns = append(jg.Columns, gc)
			}
			jt.Geomean = jg
		}
		out.Tables = append(out.Tables, jt)
	}
	for _, a := range r.Advice() {
		out.Advice = append(out.Advice, jsonAdvice{a.Row, a.Table.Unit, a.Column, a.N, a.Need, a.Reason})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// num returns a pointer to v, or nil (JSON null) when v is not finite.
func num(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func jsonCellOf(t *Table, row *Row, j int) *jsonCell {
	c := row.Cells[j]
	if c == nil {
		return nil
	}
	return &jsonCell{Column: t.Columns[j].Name, Center: num(c.Center), Lo: num(c.Lo), Hi: num(c.Hi), N: c.N()}
}

type jsonReport struct {
	Confidence float64      `json:"confidence"`
	Alpha      float64      `json:"alpha"`
	Tables     []jsonTable  `json:"tables"`
	Warnings   []string     `json:"warnings,omitempty"`
	Advice     []jsonAdvice `json:"advice,omitempty"`
}

type jsonTable struct {
	Config  map[string]string `json:"config"`
	Unit    string            `json:"unit"`
	Better  int               `json:"better"`
	Columns []jsonColumn      `json:"columns"`
	Rows    []jsonRow         `json:"rows"`
	Geomean *jsonGeomean      `json:"geomean,omitempty"`
}

type jsonColumn struct {
	Name       string `json:"name"`
	Translated bool   `json:"translated,omitempty"`
	Emulated   bool   `json:"emulated,omitempty"`
}

type jsonRow struct {
	Name        string        `json:"name"`
	Unit        string        `json:"unit"`
	A           *jsonCell     `json:"a,omitempty"`
	B           *jsonCell     `json:"b,omitempty"`
	DeltaPct    *float64      `json:"delta_pct,omitempty"`
	P           *float64      `json:"p,omitempty"`
	Significant *bool         `json:"significant,omitempty"`
	Ratio       *jsonInterval `json:"ratio,omitempty"`
	Warnings    []string      `json:"warnings,omitempty"`
}

type jsonCell struct {
	Column string   `json:"column"`
	Center *float64 `json:"center"`
	Lo     *float64 `json:"lo"`
	Hi     *float64 `json:"hi"`
	N      int      `json:"n"`
}

type jsonInterval struct {
	Center *float64 `json:"center"`
	Lo     *float64 `json:"lo"`
	Hi     *float64 `json:"hi"`
}

type jsonGeomean struct {
	Rows     int          `json:"rows"`
	Excluded int          `json:"excluded"`
	Columns  []jsonGeoCol `json:"columns"`
	Warnings []string     `json:"warnings,omitempty"`
}

type jsonGeoCol struct {
	Column   string   `json:"column"`
	Center   *float64 `json:"center"`
	DeltaPct *float64 `json:"delta_pct,omitempty"`
}

type jsonAdvice struct {
	Name   string `json:"name"`
	Unit   string `json:"unit"`
	Column string `json:"column,omitempty"`
	N      int    `json:"n"`
	Need   int    `json:"need"`
	Reason string `json:"reason"`
}
