package benchkit

import (
	"fmt"
	"maps"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchproc"
)

// A Report is the outcome of a comparison: one [Table] per unit and
// table configuration, in the order benchproc sorts their keys.
type Report struct {
	Tables []*Table

	// Confidence and Alpha are the levels the report was built with.
	Confidence, Alpha float64

	// Warnings are sentences about the inputs as a whole: the warn-*
	// keys of the results (machine state that spoils comparisons),
	// lines that did not parse, dropped non-finite values.
	Warnings []string
}

// A Table compares the columns of one unit, row by row.
type Table struct {
	// Config lists the table's key fields other than the unit, such as
	// goos, goarch and pkg, as "key: value" pairs.
	Config []KeyValue

	Unit string

	// Better is +1 if higher values are better, -1 if lower are,
	// 0 if unknown (from "Unit" metadata lines or benchfmt's defaults).
	Better int

	// Columns name the columns; column 0 is the baseline of every
	// comparison.
	Columns []Column

	Rows []*Row

	// Geomean summarizes the rows present in every column; it is nil
	// when the table has fewer than two rows.
	Geomean *Geomean
}

// A KeyValue is one configuration key and its value.
type KeyValue struct {
	Key, Value string
}

// A Column is one configuration, input file or projected tuple.
type Column struct {
	Name string
	// Translated and Emulated are set when the column's results say
	// translated: true or emulated: true (see KEYS.md); the keys are read
	// from the first result of each input file and configuration.
	Translated, Emulated bool
}

// Foreign reports whether the column ran translated or emulated.
func (c Column) Foreign() bool { return c.Translated || c.Emulated }

// A Row holds one benchmark's cells, one per column; a cell is nil
// where the benchmark is missing from that column.
type Row struct {
	Name  string
	Cells []*Cell
}

// A Cell summarizes the sample of one benchmark in one column.
type Cell struct {
	// Values is the sample, sorted.
	Values []float64

	// Center is the median (or, for units declared assume=exact, the
	// single value); Lo and Hi bound its confidence interval and are
	// infinite when the sample is too small for one.
	Center, Lo, Hi float64

	// Warnings come from benchmath (too few samples, all values equal)
	// and from the table ("benchmarks vary in ...").
	Warnings []string

	// Vs compares the cell with the same row's cell in column 0; it is
	// nil in column 0 and when that cell is missing.
	Vs *Delta
}

// N returns the sample size.
func (c *Cell) N() int { return len(c.Values) }

// A Delta compares a cell with its baseline.
type Delta struct {
	// Pct is (center/baseline center − 1) × 100, as benchstat computes
	// it; 0 when the centers are equal, NaN when the baseline is 0.
	Pct float64

	// P is the Mann–Whitney U test's p-value (two-sided) and N1, N2 the
	// sample sizes; Significant is P <= Alpha. benchstat prints "~"
	// for a delta that is not significant.
	P           float64
	N1, N2      int
	Significant bool

	Warnings []string

	// The samples and level for Ratio, computed on first use: the
	// interval of large samples costs more than the rest of the row.
	x, y       []float64
	confidence float64
	ratioOnce  sync.Once
	ratio      [3]float64
}

// Ratio returns the Hodges–Lehmann estimate of cell/baseline (the median
// of all pairwise ratios) and its distribution-free confidence interval
// at the report's level, the interval that goes with the U test: the
// translation cost, when the baseline is native. They are NaN when some
// value is not positive; lo is 0 and hi +Inf when the samples are too
// small for an interval. It is safe to call concurrently.
func (d *Delta) Ratio() (est, lo, hi float64) {
	d.ratioOnce.Do(func() {
		d.ratio[0], d.ratio[1], d.ratio[2] = ratioInterval(d.x, d.y, d.confidence)
	})
	return d.ratio[0], d.ratio[1], d.ratio[2]
}

// A Geomean summarizes a table's columns by geometric means over the
// rows present, with a positive center, in every column — so that each
// column's summary covers the same benchmarks (golang/go#57648).
type Geomean struct {
	// Rows is how many rows went into the means and Excluded how many
	// were left out.
	Rows, Excluded int

	// Centers holds each column's geometric mean of centers, NaN when
	// Rows is 0; Pct each column's change against column 0.
	Centers, Pct []float64

	Warnings []string
}

// Build computes the report of every result added so far. It may be
// called more than once.
func (b *Builder) Build() *Report {
	r := &Report{Confidence: b.opts.Confidence, Alpha: b.alpha}
	for i, w := range b.warnings {
		if n := b.warnMore[i]; n > 0 {
			w += fmt.Sprintf(" (and %d more like it)", n)
		}
		r.Warnings = append(r.Warnings, w)
	}
	if b.nonFinite > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("dropped %d measurement(s) that were NaN or infinite", b.nonFinite))
	}
	if n := b.syntaxErrs - maxSyntaxWarnings; n > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d more lines that did not parse were skipped", n))
	}
	if b.warnDropped > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d more warn-* texts were left out", b.warnDropped))
	}

	// Map each raw column key to its column index.
	rawCols := make([]benchproc.Key, 0, len(b.cols))
	for k := range b.cols {
		rawCols = append(rawCols, k)
	}
	benchproc.SortKeys(rawCols)
	colName := b.columnNamer(rawCols)
	var cols []Column
	colIndex := make(map[benchproc.Key]int)
	byName := make(map[string]int)
	for _, k := range rawCols {
		name := colName(k)
		i, ok := byName[name]
		if !ok {
			i = len(cols)
			byName[name] = i
			cols = append(cols, Column{Name: name})
		}
		rc := b.cols[k]
		cols[i].Translated = cols[i].Translated || rc.translated
		cols[i].Emulated = cols[i].Emulated || rc.emulated
		colIndex[k] = i
	}
	if b.auto {
		// Native columns first, keeping the observed order otherwise.
		order := make([]int, len(cols))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(x, y int) int {
			return boolCmp(cols[x].Foreign(), cols[y].Foreign())
		})
		newIndex := make([]int, len(cols))
		sorted := make([]Column, len(cols))
		for to, from := range order {
			newIndex[from] = to
			sorted[to] = cols[from]
		}
		cols = sorted
		for k, i := range colIndex {
			colIndex[k] = newIndex[i]
		}
	}

	// Group raw cells into tables, rows and columns.
	type merged struct {
		values  []float64
		residue map[benchproc.Key]struct{}
		owned   bool // residue is a copy that may be written
	}
	type tableAcc struct {
		rows  map[benchproc.Key]struct{}
		cells map[benchproc.Key][]*merged // row -> per column
		used  []bool
		raw   map[benchproc.Key]bool // raw column keys
	}
	tables := make(map[benchproc.Key]*tableAcc)
	for k, rc := range b.cells {
		t := tables[k.table]
		if t == nil {
			t = &tableAcc{rows: make(map[benchproc.Key]struct{}), cells: make(map[benchproc.Key][]*merged), used: make([]bool, len(cols)), raw: make(map[benchproc.Key]bool)}
			tables[k.table] = t
		}
		t.rows[k.row] = struct{}{}
		row := t.cells[k.row]
		if row == nil {
			row = make([]*merged, len(cols))
			t.cells[k.row] = row
		}
		ci := colIndex[k.col]
		t.used[ci] = true
		t.raw[k.col] = true
		m := row[ci]
		if m == nil {
			m = &merged{residue: rc.residue}
			row[ci] = m
			m.values = rc.values
		} else {
			// Several raw columns (say, two files of one config) merge.
			m.values = append(slices.Clip(m.values), rc.values...)
			if !m.owned {
				m.residue, m.owned = maps.Clone(m.residue), true
			}
			for rk := range rc.residue {
				m.residue[rk] = struct{}{}
			}
		}
	}

	tableKeys := make([]benchproc.Key, 0, len(tables))
	for k := range tables {
		tableKeys = append(tableKeys, k)
	}
	benchproc.SortKeys(tableKeys)
	thresholds := &benchmath.Thresholds{CompareAlpha: b.alpha}
	var jobs []func()
	for _, tk := range tableKeys {
		acc := tables[tk]
		unit := tk.Get(b.unitField)
		t := &Table{Unit: unit, Better: b.units.GetBetter(unit)}
		for _, f := range tk.Projection().FlattenedFields() {
			if f == b.unitField {
				continue
			}
			t.Config = append(t.Config, KeyValue{f.Name, tk.Get(f)})
		}
		if b.auto {
			t.Config = b.commonKeys(t.Config, acc.raw)
		}
		// Drop columns this table has no data for, so that a table of
		// a unit only one configuration reports is not all blanks.
		var keep []int
		for i, used := range acc.used {
			if used {
				keep = append(keep, i)
				t.Columns = append(t.Columns, cols[i])
			}
		}
		rowKeys := make([]benchproc.Key, 0, len(acc.rows))
		for rk := range acc.rows {
			rowKeys = append(rowKeys, rk)
		}
		benchproc.SortKeys(rowKeys)
		assumption := b.units.GetAssumption(unit)
		for _, rk := range rowKeys {
			row := &Row{Name: rk.StringValues(), Cells: make([]*Cell, len(keep))}
			t.Rows = append(t.Rows, row)
			raw := acc.cells[rk]
			jobs = append(jobs, func() {
				samples := make([]*benchmath.Sample, len(keep))
				for j, ci := range keep {
					m := raw[ci]
					if m == nil {
						continue
					}
					samples[j] = benchmath.NewSample(slices.Clone(m.values), thresholds)
					row.Cells[j] = summarize(samples[j], assumption, b.opts.Confidence, m.residue)
				}
				for j := 1; j < len(keep); j++ {
					if samples[0] == nil || samples[j] == nil {
						continue
					}
					row.Cells[j].Vs = compare(samples[0], samples[j], row.Cells[0], row.Cells[j], assumption, b.opts.Confidence, b.alpha)
				}
			})
		}
		r.Tables = append(r.Tables, t)
	}
	runAll(jobs)
	for _, t := range r.Tables {
		if len(t.Rows) > 1 {
			t.Geomean = geomean(t)
		}
	}
	return r
}

// runAll runs the jobs on GOMAXPROCS goroutines: rows are independent,
// and with samples of hundreds the ratio intervals dominate a report's
// cost. Each job writes only its own row.
func runAll(jobs []func()) {
	workers := min(runtime.GOMAXPROCS(0), len(jobs))
	if workers <= 1 {
		for _, job := range jobs {
			job()
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(jobs) {
					return
				}
				jobs[i]()
			}
		})
	}
	wg.Wait()
}

// commonKeys adds goarch (after goos) and cpu (last) to a table's
// heading when every column of the table has the same one, as benchstat
// shows them: automatic columns keep them out of the table key.
func (b *Builder) commonKeys(config []KeyValue, raw map[benchproc.Key]bool) []KeyValue {
	var goarch, cpu string
	first := true
	for k := range raw {
		c := b.cols[k]
		if first {
			goarch, cpu, first = c.goarch, c.cpu, false
			continue
		}
		if c.goarch != goarch {
			goarch = ""
		}
		if c.cpu != cpu {
			cpu = ""
		}
	}
	has := func(key string) bool {
		return slices.ContainsFunc(config, func(kv KeyValue) bool { return kv.Key == key })
	}
	if goarch != "" && !has("goarch") {
		at := 0
		for i, kv := range config {
			if kv.Key == "goos" {
				at = i + 1
			}
		}
		config = slices.Insert(config, at, KeyValue{"goarch", goarch})
	}
	if cpu = strings.TrimSpace(cpu); cpu != "" && !has("cpu") {
		config = append(config, KeyValue{"cpu", cpu})
	}
	return config
}

// columnNamer returns how raw column keys are named: by the chosen field
// when columns are automatic, by the whole tuple otherwise.
func (b *Builder) columnNamer(keys []benchproc.Key) func(benchproc.Key) string {
	if !b.auto {
		return func(k benchproc.Key) string { return k.StringValues() }
	}
	hasConfig := false
	goarchs := make(map[string]bool)
	for _, k := range keys {
		if k.Get(b.configField) != "" {
			hasConfig = true
		}
		goarchs[k.Get(b.goarchField)] = true
	}
	switch {
	case hasConfig:
		return func(k benchproc.Key) string {
			if v := k.Get(b.configField); v != "" {
				return v
			}
			// A file without a config key still gets a column.
			return k.Get(b.fileField)
		}
	case len(goarchs) > 1:
		return func(k benchproc.Key) string { return k.Get(b.goarchField) }
	default:
		return func(k benchproc.Key) string { return k.Get(b.fileField) }
	}
}

func boolCmp(x, y bool) int {
	switch {
	case x == y:
		return 0
	case !x:
		return -1
	}
	return 1
}

// summarize computes a cell's center and interval. benchmath's statistics
// come from go-moremath; a panic in them on some sample turns into a
// warning on that one cell rather than failing the report.
func summarize(s *benchmath.Sample, a benchmath.Assumption, confidence float64, residue map[benchproc.Key]struct{}) (c *Cell) {
	c = &Cell{Values: s.Values, Center: math.NaN(), Lo: math.Inf(-1), Hi: math.Inf(1)}
	defer func() {
		if e := recover(); e != nil {
			c.Warnings = append(c.Warnings, fmt.Sprintf("internal error summarizing sample: %v", e))
		}
	}()
	sum := a.Summary(s, confidence)
	c.Center, c.Lo, c.Hi = sum.Center, sum.Lo, sum.Hi
	c.Warnings = appendErrs(c.Warnings, s.Warnings)
	c.Warnings = appendErrs(c.Warnings, sum.Warnings)
	if len(residue) > 1 {
		keys := make([]benchproc.Key, 0, len(residue))
		for k := range residue {
			keys = append(keys, k)
		}
		if fields := benchproc.NonSingularFields(keys); len(fields) > 0 {
			names := make([]string, len(fields))
			for i, f := range fields {
				names[i] = f.Name
			}
			c.Warnings = append(c.Warnings, "benchmarks vary in "+strings.Join(names, ", "))
		}
	}
	return c
}

func compare(s1, s2 *benchmath.Sample, c1, c2 *Cell, a benchmath.Assumption, confidence, alpha float64) (d *Delta) {
	d = &Delta{P: 1, N1: len(s1.Values), N2: len(s2.Values), Pct: math.NaN()}
	d.x, d.y, d.confidence = s1.Values, s2.Values, confidence
	defer func() {
		if e := recover(); e != nil {
			d.Warnings = append(d.Warnings, fmt.Sprintf("internal error comparing samples: %v", e))
		}
	}()
	cmp := a.Compare(s1, s2)
	d.P, d.N1, d.N2 = cmp.P, cmp.N1, cmp.N2
	d.Significant = cmp.P <= alpha
	d.Warnings = appendErrs(d.Warnings, cmp.Warnings)
	switch old, cur := c1.Center, c2.Center; {
	case old == cur:
		d.Pct = 0
	case old == 0:
		// NaN: no percentage describes a change from zero.
	default:
		d.Pct = (cur/old - 1) * 100
	}
	return d
}

func appendErrs(dst []string, errs []error) []string {
	for _, e := range errs {
		dst = append(dst, e.Error())
	}
	return dst
}

func geomean(t *Table) *Geomean {
	g := &Geomean{Centers: make([]float64, len(t.Columns)), Pct: make([]float64, len(t.Columns))}
	logSums := make([]float64, len(t.Columns))
	for _, row := range t.Rows {
		ok := true
		for _, c := range row.Cells {
			if c == nil || !(c.Center > 0) {
				ok = false
				break
			}
		}
		if !ok {
			g.Excluded++
			continue
		}
		g.Rows++
		for j, c := range row.Cells {
			logSums[j] += math.Log(c.Center)
		}
	}
	for j := range g.Centers {
		if g.Rows == 0 {
			g.Centers[j], g.Pct[j] = math.NaN(), math.NaN()
			continue
		}
		g.Centers[j] = math.Exp(logSums[j] / float64(g.Rows))
		g.Pct[j] = (math.Exp((logSums[j]-logSums[0])/float64(g.Rows)) - 1) * 100
	}
	switch {
	case g.Rows == 0:
		g.Warnings = append(g.Warnings, "no benchmark is present with a positive value in every column")
	case g.Excluded > 0:
		g.Warnings = append(g.Warnings, fmt.Sprintf("geomean of the %d benchmarks with a positive value in every column; %d left out", g.Rows, g.Excluded))
	}
	return g
}
