package benchkit

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestProgress(t *testing.T) {
	var b strings.Builder
	now := time.Unix(0, 0)
	p := newProgress(&b, "runs", func() time.Time { return now })
	now = now.Add(10 * time.Second)
	p.Update(1, 4)
	if got, want := b.String(), "\rruns [1/4] 25% ETA 30s"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	b.Reset()
	now = now.Add(30 * time.Second)
	p.Update(4, 4)
	if got, want := b.String(), "\rruns [4/4] 100%       "; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	p.Done()
}

func TestProgressNotTerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := NewProgress(f, "x")
	if p != nil {
		t.Fatal("NewProgress on a file is not nil")
	}
	p.Update(1, 2) // a nil Progress does nothing
	p.Done()
	if st, _ := f.Stat(); st.Size() != 0 {
		t.Errorf("wrote %d bytes to a non-terminal", st.Size())
	}
}
