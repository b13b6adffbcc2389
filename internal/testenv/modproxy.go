package testenv

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// A ModProxy is a module proxy on 127.0.0.1 that serves @v/list for the
// modules it is given, answers 404 for others, and records requests.
// Status, when set for a module path, is answered instead (500 to play a
// broken proxy).
type ModProxy struct {
	URL string

	mu       sync.Mutex
	lists    map[string][]string // escaped module path -> versions
	status   map[string]int
	requests []string
}

// NewModProxy starts a ModProxy serving lists (escaped module path ->
// versions) and stops it when t ends.
func NewModProxy(t testing.TB, lists map[string][]string) *ModProxy {
	p := &ModProxy{lists: lists, status: map[string]int{}}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// SetStatus makes the proxy answer status for every request.
func (p *ModProxy) SetStatus(status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status[""] = status
}

func (p *ModProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.requests = append(p.requests, r.URL.Path)
	st := p.status[""]
	p.mu.Unlock()
	if st != 0 {
		http.Error(w, http.StatusText(st), st)
		return
	}
	mod, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/@v/list")
	versions, found := p.lists[mod]
	if !ok || !found {
		http.NotFound(w, r)
		return
	}
	w.Write([]byte(strings.Join(versions, "\n") + "\n"))
}

// Requests returns the paths requested so far.
func (p *ModProxy) Requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.requests...)
}
