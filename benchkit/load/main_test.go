package load

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/nativego/nativego/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// countingServer starts a loopback HTTP server that answers every request
// with a short body and counts the requests.
func countingServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if h != nil {
			h(w, r)
			return
		}
		w.Write([]byte("hello\n"))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func mustHTTP(t testing.TB, cfg HTTPConfig) Target {
	t.Helper()
	tg, err := NewHTTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// A path is one of the two ways a closed loop drives the raw HTTP/1.1
// target: event loops (Linux) or a session per connection.
type path struct {
	name     string
	sessions bool
}

var paths = []path{{"loop", false}, {"sessions", true}}

// mustHTTPOn returns an HTTP target whose closed loops take path p.
func mustHTTPOn(t testing.TB, cfg HTTPConfig, p path) Target {
	t.Helper()
	tg := mustHTTP(t, cfg)
	if raw, ok := tg.(*rawHTTP); ok {
		raw.noLoop = p.sessions
	}
	return tg
}

func bufioReader(s string) *bufio.Reader { return bufio.NewReader(strings.NewReader(s)) }
