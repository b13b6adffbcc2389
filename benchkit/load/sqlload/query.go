package sqlload

import (
	"fmt"
	"strings"
)

// A Query is one statement of a mix.
type Query struct {
	// Name labels the query's latencies and errors; names are unique
	// within a mix.
	Name string
	// SQL is the statement, with the driver's placeholders for Args
	// ($1 for PostgreSQL, ? for SQLite).
	SQL  string
	Args []any
	// Weight is the query's share of the mix relative to the others';
	// 1 when zero.
	Weight int
	// Write runs the statement with Exec instead of Query: an INSERT,
	// UPDATE or DELETE that returns no rows.
	Write bool
}

// maxWeight bounds a weight so that the sum of a mix's weights cannot
// overflow an int, whatever the number of queries a caller passes.
const maxWeight = 1 << 20

// checkMix validates a mix and returns the cumulative weights the
// sessions draw from.
func checkMix(qs []Query) ([]int, error) {
	if len(qs) == 0 {
		return nil, &ConfigError{Field: "Queries", Msg: "no query"}
	}
	if len(qs) > maxWeight {
		return nil, &ConfigError{Field: "Queries", Msg: fmt.Sprintf("%d queries; at most %d", len(qs), maxWeight)}
	}
	seen := make(map[string]bool, len(qs))
	cum := make([]int, len(qs))
	total := 0
	for i, q := range qs {
		switch {
		case q.Name == "":
			return nil, &ConfigError{Field: "Queries", Msg: fmt.Sprintf("query %d has no name", i)}
		case seen[q.Name]:
			return nil, &ConfigError{Field: "Queries", Msg: fmt.Sprintf("query name %q used twice", q.Name)}
		case strings.TrimSpace(q.SQL) == "":
			return nil, &ConfigError{Field: "Queries", Msg: fmt.Sprintf("query %q has no SQL", q.Name)}
		case q.Weight < 0 || q.Weight > maxWeight:
			return nil, &ConfigError{Field: "Queries", Msg: fmt.Sprintf("query %q: weight %d not in [0, %d]", q.Name, q.Weight, maxWeight)}
		}
		seen[q.Name] = true
		total += max(q.Weight, 1)
		cum[i] = total
	}
	return cum, nil
}

// ParseQuery parses the NAME=SQL form of a command-line flag. A name
// ending in "!" marks a write (run with Exec), and a name may carry a
// weight after a '*': "insert!*2=INSERT INTO t VALUES (1)".
func ParseQuery(s string) (Query, error) {
	name, sql, ok := strings.Cut(s, "=")
	if !ok {
		return Query{}, &ConfigError{Field: "query", Msg: fmt.Sprintf("%q is not NAME=SQL", s)}
	}
	q := Query{SQL: sql}
	if n, w, ok := strings.Cut(name, "*"); ok {
		var weight int
		if _, err := fmt.Sscanf(w, "%d", &weight); err != nil || fmt.Sprint(weight) != w || weight < 1 || weight > maxWeight {
			return Query{}, &ConfigError{Field: "query", Msg: fmt.Sprintf("weight %q is not an integer in [1, %d]", w, maxWeight)}
		}
		name, q.Weight = n, weight
	}
	if n, ok := strings.CutSuffix(name, "!"); ok {
		name, q.Write = n, true
	}
	q.Name = strings.TrimSpace(name)
	if q.Name == "" || strings.TrimSpace(q.SQL) == "" {
		return Query{}, &ConfigError{Field: "query", Msg: fmt.Sprintf("%q needs a name and SQL", s)}
	}
	return q, nil
}
