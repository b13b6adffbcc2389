package modaudit

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/nativego/nativego/toolchain"
	"golang.org/x/mod/module"
)

// SumsOptions configures [CheckSums]. The zero value asks the checksum
// database the go command would use.
type SumsOptions struct {
	// GOPROXY and GOSUMDB override the go command's settings (see
	// toolchain.LookupOptions).
	GOPROXY, GOSUMDB string
	// GONOSUMDB lists the module path patterns the go command does not
	// look up (module.MatchPrefixPatterns); when empty, $GONOSUMDB or else
	// $GOPRIVATE of the process environment.
	GONOSUMDB string
	// Client makes the HTTP requests; nil means http.DefaultClient.
	Client *http.Client
	// Workers bounds the lookups at once; 0 means 8.
	Workers int
}

// Statuses of a [SumCheck].
const (
	SumOK       = "ok"       // the database holds this very line
	SumMismatch = "mismatch" // the database holds another hash: a forged or corrupted line
	SumUnknown  = "unknown"  // the database has no record of this module version
	SumSkipped  = "skipped"  // private: matched by GONOSUMDB, not looked up
	SumError    = "error"    // the lookup failed; see Err
)

// A SumCheck is the verdict on one go.sum line.
type SumCheck struct {
	SumLine
	Status string `json:"status"`
	// DBHash is the hash the checksum database holds, when it differs.
	DBHash string `json:"db_hash,omitempty"`
	Err    string `json:"error,omitempty"`
}

// A SumsReport is the outcome of [CheckSums].
type SumsReport struct {
	GoSum    string     `json:"go_sum"` // the go.sum file
	Database string     `json:"database,omitempty"`
	Lines    []SumCheck `json:"lines"`
	// OK, Mismatched, Unknown, Skipped and Errors count the lines of each
	// status.
	OK         int `json:"ok"`
	Mismatched int `json:"mismatched"`
	Unknown    int `json:"unknown"`
	Skipped    int `json:"skipped"`
	Errors     int `json:"errors"`
}

// ErrSumDBOff is returned, wrapped, by [CheckSums] when GOSUMDB=off.
var ErrSumDBOff = toolchain.ErrNoSumDB

// CheckSums checks every line of the go.sum file in dir against the
// checksum database, which "go mod verify" never does
// (golang.org/issue/47752): it compares the module cache with go.sum,
// so a forged go.sum line, committed along with the module it vouches
// for, passes it. Each module version is looked up once, with the
// database's signatures and the inclusion proof of its record checked
// (toolchain.LookupModule).
//
// The report lists every line; the error is non-nil when the check could
// not be made, and wraps toolchain.ErrSecurity when the database
// misbehaved, in which case no line can be trusted.
func CheckSums(ctx context.Context, dir string, opts SumsOptions) (*SumsReport, error) {
	file := filepath.Join(dir, "go.sum")
	data, err := readFileLimit(file, maxGoSum)
	if err != nil {
		return nil, &FileError{Path: file, Err: err}
	}
	lines, err := ParseGoSum(data, file)
	if err != nil {
		return nil, err
	}
	noSumDB := opts.GONOSUMDB
	if noSumDB == "" {
		noSumDB = os.Getenv("GONOSUMDB")
	}
	if noSumDB == "" {
		noSumDB = os.Getenv("GOPRIVATE")
	}
	r := &SumsReport{GoSum: file, Lines: make([]SumCheck, len(lines))}

	// One lookup per line; lines repeated in go.sum are looked up once.
	type answer struct {
		lines []string
		err   error
	}
	answers := make(map[module.Version]*answer)
	var todo []module.Version
	for i, l := range lines {
		r.Lines[i] = SumCheck{SumLine: l}
		if module.MatchPrefixPatterns(noSumDB, l.Path) {
			r.Lines[i].Status = SumSkipped
			continue
		}
		// The version keeps "/go.mod": sumdb.Client.Lookup returns only the
		// lines for what it is asked, and serves the second from its cache.
		mv := module.Version{Path: l.Path, Version: l.Version}
		if answers[mv] == nil {
			answers[mv] = new(answer)
			todo = append(todo, mv)
		}
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = 8
	}
	lopts := toolchain.LookupOptions{GOPROXY: opts.GOPROXY, GOSUMDB: opts.GOSUMDB, Client: opts.Client}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		fatal    error
		next     = make(chan module.Version)
		dbName   string
		ctx2, cx = context.WithCancel(ctx)
	)
	defer cx()
	for range min(workers, max(len(todo), 1)) {
		wg.Go(func() {
			for mv := range next {
				lines, name, err := toolchain.LookupModule(ctx2, mv.Path, mv.Version, lopts)
				a := answers[mv]
				a.lines, a.err = lines, err
				mu.Lock()
				if name != "" {
					dbName = name
				}
				if err != nil && (errors.Is(err, toolchain.ErrSecurity) || errors.Is(err, toolchain.ErrNoSumDB)) && fatal == nil {
					fatal = err
					cx()
				}
				mu.Unlock()
			}
		})
	}
feed:
	for _, mv := range todo {
		select {
		case next <- mv:
		case <-ctx2.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	r.Database = dbName
	if fatal == nil && ctx.Err() != nil {
		fatal = ctx.Err()
	}

	for i := range r.Lines {
		c := &r.Lines[i]
		if c.Status == SumSkipped {
			r.Skipped++
			continue
		}
		a := answers[module.Version{Path: c.Path, Version: c.Version}]
		switch {
		case a.err != nil && errors.Is(a.err, fs.ErrNotExist):
			c.Status = SumUnknown
			r.Unknown++
		case a.err != nil || a.lines == nil:
			c.Status = SumError
			if a.err != nil {
				c.Err = a.err.Error()
			} else {
				c.Err = "not looked up: " + fatal.Error()
			}
			r.Errors++
		default:
			c.Status, c.DBHash = SumUnknown, ""
			prefix := c.Path + " " + c.Version + " "
			for _, dl := range a.lines {
				if h, ok := strings.CutPrefix(dl, prefix); ok {
					c.Status = SumOK
					if h != c.Hash {
						c.Status, c.DBHash = SumMismatch, h
					}
				}
			}
			switch c.Status {
			case SumOK:
				r.OK++
			case SumMismatch:
				r.Mismatched++
			default:
				r.Unknown++
			}
		}
	}
	return r, fatal
}
