package benchkit

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// A Progress shows "[12/48] 25% ETA 1m20s" on one terminal line,
// rewritten in place. NewProgress returns nil unless w is a terminal,
// and a nil *Progress does nothing, so callers need no checks:
//
//	p := benchkit.NewProgress(os.Stderr, "go build")
//	opts.Progress = p.Update
//	m, err := benchkit.Measure(ctx, cmds, opts)
//	p.Done()
type Progress struct {
	mu    sync.Mutex
	w     io.Writer
	what  string
	start time.Time
	now   func() time.Time
	width int // of the last line written, to blank it
}

// NewProgress returns a Progress writing to f when f is a terminal
// (golang.org/x/term), and nil otherwise. what names the work.
func NewProgress(f *os.File, what string) *Progress {
	if f == nil || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return newProgress(f, what, time.Now)
}

func newProgress(w io.Writer, what string, now func() time.Time) *Progress {
	return &Progress{w: w, what: what, start: now(), now: now}
}

// Update shows done of total. Its ETA assumes the remaining steps take
// as long on average as the finished ones, which interleaving makes a
// fair guess.
func (p *Progress) Update(done, total int) {
	if p == nil || total <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	elapsed := p.now().Sub(p.start)
	line := fmt.Sprintf("%s [%d/%d] %d%%", p.what, done, total, 100*done/total)
	if done > 0 && done < total {
		eta := time.Duration(float64(elapsed) / float64(done) * float64(total-done))
		line += " ETA " + eta.Round(time.Second).String()
	}
	pad := p.width - len(line)
	p.width = len(line)
	if pad < 0 {
		pad = 0
	}
	fmt.Fprintf(p.w, "\r%s%*s", line, pad, "")
}

// Done clears the progress line.
func (p *Progress) Done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "\r%*s\r", p.width, "")
	p.width = 0
}
