package benchkit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchproc"
)

// CompareOptions says how [Builder] groups results into tables, rows and
// columns and how it summarizes them. The zero value gives benchstat's
// defaults (95% intervals, α = 0.05, one table per unit and file
// configuration, one row per full benchmark name), with columns chosen
// from the data as described under [Builder].
type CompareOptions struct {
	// Table, Row and Col are projection expressions in the syntax of
	// golang.org/x/perf/benchproc/syntax, as given to benchstat's -table,
	// -row and -col flags. Empty means ".config", ".fullname", and an
	// automatic choice of columns respectively. Each table is further
	// split by unit.
	Table, Row, Col string

	// Ignore lists keys, in projection syntax, whose variation neither
	// separates tables nor is warned about (benchstat's -ignore).
	Ignore string

	// Filter is a benchproc filter expression; results that do not match
	// are left out. Empty keeps every result.
	Filter string

	// Confidence is the level of the medians' confidence intervals and
	// of the ratio intervals; 0 means 0.95.
	Confidence float64

	// Alpha is the significance level below which a difference counts as
	// real; 0 means benchmath.DefaultThresholds.CompareAlpha (0.05).
	Alpha float64
}

// autoIgnore are the keys that, when columns are chosen automatically,
// describe how a sample ran rather than what was measured: they neither
// split tables nor trigger "benchmarks vary in" warnings. KEYS.md beside
// this file is the contract with the Runner and Measure.
//
// cpu is among them because go test reports the CPU it sees, and a
// translated process sees another one (Rosetta 2 shows "VirtualApple").
const autoIgnore = "exec,translated,emulated,cpu,round,rss-source,gc-source,gocache"

// Prefixes of per-round keys (see KEYS.md): machine state that varies from
// round to round, and warnings written as sentences. Results are stripped
// of them before projection; warnings are collected for [Report.Warnings].
const (
	machinePrefix = "machine-"
	warnPrefix    = "warn-"
)

// A Builder collects benchmark results and turns them into a [Report].
//
// Columns, unless [CompareOptions].Col says otherwise, are chosen once all
// results are in: by the `config` key when any result has one (results of
// the Runner and Measure), otherwise by `goarch` when the results span more
// than one architecture, otherwise by input file as benchstat does. In the
// first two cases, columns whose results are all neither translated nor
// emulated come first, so that the native configuration is the baseline
// every other column is compared with.
//
// A Builder is not safe for concurrent use.
type Builder struct {
	opts      CompareOptions
	alpha     float64
	filter    *benchproc.Filter
	tableBy   *benchproc.Projection
	unitField *benchproc.Field
	rowBy     *benchproc.Projection
	colBy     *benchproc.Projection
	residue   *benchproc.Projection
	auto      bool
	// When auto is set, colBy projects config, goarch and .file, in
	// that order, and the column is decided in Build.
	configField, goarchField, fileField *benchproc.Field

	cells       map[rawCellKey]*rawCell
	cols        map[benchproc.Key]*rawCol
	units       benchfmt.UnitMetadataMap
	warnSeen    map[string]bool // warning texts already recorded
	warnKeys    map[string]int  // warn-* key -> index in warnings
	warnMore    []int           // per warning: further distinct texts of its key
	warnings    []string
	nonFinite   int
	syntaxErrs  int // lines that did not parse
	warnDropped int // warn-* texts beyond maxWarnKeys shapes
	reader      benchfmt.Reader
}

type rawCellKey struct {
	table, row, col benchproc.Key
}

type rawCell struct {
	values  []float64
	residue map[benchproc.Key]struct{}
}

// rawCol records what is known of how a projected column's samples ran.
type rawCol struct {
	translated, emulated bool
	// goarch and cpu, which automatic columns keep out of the table key,
	// are shown in a table's heading when all its columns agree.
	goarch, cpu string
}

// A ProjectionError reports a projection or filter expression that does
// not parse.
type ProjectionError struct {
	Option string // "Table", "Row", "Col", "Ignore" or "Filter"
	Expr   string
	Err    error
}

func (e *ProjectionError) Error() string {
	return fmt.Sprintf("benchkit: bad %s expression %q: %v", e.Option, e.Expr, e.Err)
}

func (e *ProjectionError) Unwrap() error { return e.Err }

// ErrBadOption is returned, wrapped, for an out-of-range Confidence or Alpha.
var ErrBadOption = errors.New("benchkit: option out of range")

// NewBuilder returns a Builder for opts, or an error if one of its
// expressions does not parse or a level is outside [0, 1].
func NewBuilder(opts CompareOptions) (*Builder, error) {
	if opts.Confidence == 0 {
		opts.Confidence = 0.95
	}
	alpha := opts.Alpha
	if alpha == 0 {
		alpha = benchmath.DefaultThresholds.CompareAlpha
	}
	if !(opts.Confidence > 0 && opts.Confidence < 1) {
		return nil, fmt.Errorf("%w: Confidence %v not in (0, 1)", ErrBadOption, opts.Confidence)
	}
	if !(alpha > 0 && alpha <= 1) {
		return nil, fmt.Errorf("%w: Alpha %v not in (0, 1]", ErrBadOption, alpha)
	}
	b := &Builder{
		opts:     opts,
		alpha:    alpha,
		cells:    make(map[rawCellKey]*rawCell),
		cols:     make(map[benchproc.Key]*rawCol),
		units:    make(benchfmt.UnitMetadataMap),
		warnSeen: make(map[string]bool),
		warnKeys: make(map[string]int),
	}
	filterExpr := opts.Filter
	if filterExpr == "" {
		filterExpr = "*"
	}
	var err error
	if b.filter, err = benchproc.NewFilter(filterExpr); err != nil {
		return nil, &ProjectionError{"Filter", opts.Filter, err}
	}

	var p benchproc.ProjectionParser
	table, row, col, ignore := opts.Table, opts.Row, opts.Col, opts.Ignore
	if table == "" {
		table = ".config"
	}
	if row == "" {
		row = ".fullname"
	}
	if col == "" {
		b.auto = true
		col = "config,goarch,.file"
		if ignore != "" {
			ignore += ","
		}
		ignore += autoIgnore
	}
	if b.tableBy, b.unitField, err = p.ParseWithUnit(table, b.filter); err != nil {
		return nil, &ProjectionError{"Table", opts.Table, err}
	}
	if b.rowBy, err = p.Parse(row, b.filter); err != nil {
		return nil, &ProjectionError{"Row", opts.Row, err}
	}
	if b.colBy, err = p.Parse(col, b.filter); err != nil {
		return nil, &ProjectionError{"Col", opts.Col, err}
	}
	if ignore != "" {
		if _, err = p.Parse(ignore, b.filter); err != nil {
			return nil, &ProjectionError{"Ignore", opts.Ignore, err}
		}
	}
	b.residue = p.Residue()
	if b.auto {
		fs := b.colBy.Fields()
		b.configField, b.goarchField, b.fileField = fs[0], fs[1], fs[2]
	}
	return b, nil
}

// Add adds one result. Measurements that are not finite numbers (NaN and
// ±Inf parse as numbers in the benchmark format) are dropped and counted
// in a warning: the statistics have no meaning for them.
//
// Add does not retain res, but it may filter res.Values in place, as
// benchproc.Filter.Apply does.
func (b *Builder) Add(res *benchfmt.Result) {
	res = b.strip(res)
	if ok, _ := b.filter.Apply(res); !ok {
		return
	}
	tableKeys := b.tableBy.ProjectValues(res)
	rowKey := b.rowBy.Project(res)
	colKey := b.colBy.Project(res)
	residueKey := b.residue.Project(res)

	if c := b.cols[colKey]; c == nil {
		// A column's provenance comes from its first result: the keys
		// are per configuration, and looking them up on every result
		// costs more than the rest of Add.
		c = &rawCol{
			translated: configIs(res, "translated", "true"), emulated: configIs(res, "emulated", "true"),
			goarch: configValue(res, "goarch"), cpu: configValue(res, "cpu"),
		}
		b.cols[colKey] = c
	}

	for i, tk := range tableKeys {
		v := res.Values[i].Value
		if math.IsNaN(v) || math.IsInf(v, 0) {
			// NaN also makes stats.MannWhitneyUTest loop forever:
			// NaN != NaN defeats its tie-grouping loop.
			b.nonFinite++
			continue
		}
		k := rawCellKey{tk, rowKey, colKey}
		cell := b.cells[k]
		if cell == nil {
			cell = &rawCell{residue: make(map[benchproc.Key]struct{})}
			b.cells[k] = cell
		}
		cell.values = append(cell.values, v)
		cell.residue[residueKey] = struct{}{}
	}
}

// strip returns res without machine-* and warn-* keys, recording the
// warnings. It copies res only when there is something to strip.
func (b *Builder) strip(res *benchfmt.Result) *benchfmt.Result {
	found := false
	for i := range res.Config {
		k := res.Config[i].Key
		if strings.HasPrefix(k, machinePrefix) || strings.HasPrefix(k, warnPrefix) {
			found = true
			break
		}
	}
	if !found {
		return res
	}
	out := &benchfmt.Result{Name: res.Name, Iters: res.Iters, Values: res.Values}
	for _, c := range res.Config {
		switch {
		case strings.HasPrefix(c.Key, warnPrefix):
			// Each round may word the same warning with its own
			// numbers, under its own key (warn-machine-1, -2, ...):
			// keep the first text of each shape — the text with its
			// numbers blanked — and count the others.
			if len(c.Value) == 0 || b.warnSeen[string(c.Value)] {
				break
			}
			w := string(c.Value)
			b.warnSeen[w] = true
			sh := shape(w)
			if i, ok := b.warnKeys[sh]; ok {
				b.warnMore[i]++
				break
			}
			if len(b.warnKeys) >= maxWarnKeys {
				b.warnDropped++
				break
			}
			b.warnKeys[sh] = len(b.warnings)
			b.warnings = append(b.warnings, w)
			b.warnMore = append(b.warnMore, 0)
		case strings.HasPrefix(c.Key, machinePrefix):
		default:
			out.Config = append(out.Config, c)
		}
	}
	return out
}

// shape returns s with each run of digits, and the decimal points
// between them, replaced by "#".
func shape(s string) string {
	var b strings.Builder
	inNum := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		digit := '0' <= c && c <= '9'
		if digit || inNum && c == '.' && i+1 < len(s) && '0' <= s[i+1] && s[i+1] <= '9' {
			if !inNum {
				b.WriteByte('#')
			}
			inNum = true
			continue
		}
		inNum = false
		b.WriteByte(c)
	}
	return b.String()
}

func configValue(res *benchfmt.Result, key string) string {
	if i, ok := res.ConfigIndex(key); ok {
		return string(res.Config[i].Value)
	}
	return ""
}

func configIs(res *benchfmt.Result, key, value string) bool {
	i, ok := res.ConfigIndex(key)
	return ok && bytes.Equal(res.Config[i].Value, []byte(value))
}

// AddUnits merges unit metadata ("Unit x better=lower assume=nothing"
// lines), such as benchfmt.Reader.Units returns, into the builder.
func (b *Builder) AddUnits(units benchfmt.UnitMetadataMap) {
	for k, v := range units {
		if _, ok := b.units[k]; !ok {
			b.units[k] = v
		}
	}
}

// Read adds every result of a benchmark-format stream, with the ".file"
// key set to name (which is also used in error messages). Lines that do
// not parse are skipped and reported among the report's warnings, as
// benchstat does; only a read error stops it.
func (b *Builder) Read(r io.Reader, name string) error {
	b.reader.Reset(r, name, ".file", name)
	for b.reader.Scan() {
		switch rec := b.reader.Result().(type) {
		case *benchfmt.SyntaxError:
			b.warn(rec.Error())
		case *benchfmt.Result:
			b.Add(rec)
		}
	}
	b.AddUnits(b.reader.Units())
	if err := b.reader.Err(); err != nil {
		return fmt.Errorf("benchkit: reading %s: %w", name, err)
	}
	return nil
}

// maxSyntaxWarnings bounds the warnings kept for unparsable lines, and
// maxWarnKeys the distinct shapes of warn-* texts kept, so that a large file of
// garbage does not become a larger list of complaints; the rest are
// counted.
const (
	maxSyntaxWarnings = 20
	maxWarnKeys       = 100
)

func (b *Builder) warn(msg string) {
	if b.syntaxErrs++; b.syntaxErrs <= maxSyntaxWarnings {
		b.warnings = append(b.warnings, msg)
		b.warnMore = append(b.warnMore, 0)
	}
}

// ReadFiles adds the results of the named files, like benchstat's
// arguments: "label=path" names a file's column label, and a path given
// twice gets "#0", "#1" appended to tell them apart.
func (b *Builder) ReadFiles(paths ...string) error {
	files := benchfmt.Files{Paths: paths, AllowLabels: true}
	for files.Scan() {
		switch rec := files.Result().(type) {
		case *benchfmt.SyntaxError:
			b.warn(rec.Error())
		case *benchfmt.Result:
			b.Add(rec)
		}
	}
	b.AddUnits(files.Units())
	if err := files.Err(); err != nil {
		return fmt.Errorf("benchkit: %w", err)
	}
	return nil
}

// CompareFiles reads the named benchmark files and builds their report
// with opts; it is [NewBuilder], [Builder.ReadFiles] and [Builder.Build].
func CompareFiles(opts CompareOptions, paths ...string) (*Report, error) {
	b, err := NewBuilder(opts)
	if err != nil {
		return nil, err
	}
	if err := b.ReadFiles(paths...); err != nil {
		return nil, err
	}
	return b.Build(), nil
}
