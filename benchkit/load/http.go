package load

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// HTTPProtocol selects how an HTTP target talks to the server.
type HTTPProtocol int

const (
	// HTTPAuto uses the raw HTTP/1.1 path for http:// URLs and net/http
	// (HTTP/1.1 or HTTP/2, as negotiated by TLS) for https:// ones.
	HTTPAuto HTTPProtocol = iota
	// HTTP1 uses net/http, HTTP/1.1 only: for comparing with the raw path.
	HTTP1
	// HTTP2 uses net/http, HTTP/2 only: over TLS for https://, h2c
	// (unencrypted HTTP/2 with prior knowledge) for http://.
	HTTP2
)

// DefaultHTTPTimeout bounds each request of an HTTP target whose
// HTTPConfig.Timeout is zero.
const DefaultHTTPTimeout = 10 * time.Second

// HTTPConfig describes the request an HTTP target sends.
type HTTPConfig struct {
	URL    string
	Method string // GET when empty
	// Header holds extra request headers. Host, if set, replaces the URL's.
	Header http.Header
	Body   []byte
	// Timeout bounds each request, connecting included; DefaultHTTPTimeout
	// when zero. The HTTP/1.1 fast path lets a request run up to an eighth
	// longer, so as not to move the connection's deadline per request.
	Timeout  time.Duration
	Protocol HTTPProtocol
	// TLS configures https:// targets; nil uses the system's roots.
	TLS *tls.Config
}

// NewHTTP returns a target that sends the request cfg describes.
//
// For http:// URLs it writes prepared request bytes to raw connections and
// reads responses with a minimal HTTP/1.1 parser, reusing connections
// (keep-alive) and reconnecting when the server closes them: per request it
// costs a write, a read and no allocation. In a closed loop on Linux, event
// loops drive the connections instead of a goroutine each (see the package
// documentation), which is what lets a generator in Go cost as little CPU
// as wrk. For https:// URLs, or when cfg.Protocol asks for
// it, it uses net/http, which speaks TLS and HTTP/2 (h2c too).
//
// Responses with status 400 and above count as errors of class
// ClassStatus; their latencies are kept apart from the successes'.
func NewHTTP(cfg HTTPConfig) (Target, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, &ConfigError{"URL", err.Error()}
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, &ConfigError{"URL", fmt.Sprintf("scheme %q is not http or https", u.Scheme)}
	}
	if u.Host == "" {
		return nil, &ConfigError{"URL", "no host"}
	}
	if cfg.Method == "" {
		cfg.Method = http.MethodGet
	}
	if !validMethod(cfg.Method) {
		return nil, &ConfigError{"Method", fmt.Sprintf("%q is not a method token", cfg.Method)}
	}
	for k, vs := range cfg.Header {
		for _, v := range append([]string{k}, vs...) {
			if strings.ContainsAny(v, "\r\n") {
				return nil, &ConfigError{"Header", fmt.Sprintf("%q holds a line break", v)}
			}
		}
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultHTTPTimeout
	}
	if u.Scheme == "https" || cfg.Protocol != HTTPAuto {
		return newStdHTTP(cfg, u)
	}
	return newRawHTTP(cfg, u)
}

func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for _, c := range []byte(m) {
		// tchar, RFC 9110 §5.6.2
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// idempotent reports whether a request may be sent again when a reused
// connection turns out to have been closed by the server (RFC 9110 §9.2.2,
// the rule net/http's Transport follows).
func idempotent(method string) bool {
	switch method {
	case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE":
		return true
	}
	return false
}

// hostPort returns u's host with the scheme's default port added.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	port := "80"
	if u.Scheme == "https" {
		port = "443"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// requestBytes prepares the raw HTTP/1.1 request.
func requestBytes(cfg HTTPConfig, u *url.URL) []byte {
	var b bytes.Buffer
	path := u.RequestURI()
	b.WriteString(cfg.Method + " " + path + " HTTP/1.1\r\n")
	host := u.Host
	if h := cfg.Header.Get("Host"); h != "" {
		host = h
	}
	b.WriteString("Host: " + host + "\r\n")
	if cfg.Header.Get("User-Agent") == "" {
		b.WriteString("User-Agent: nativego-httpload\r\n")
	}
	for k, vs := range cfg.Header {
		if http.CanonicalHeaderKey(k) == "Host" || http.CanonicalHeaderKey(k) == "Content-Length" {
			continue
		}
		for _, v := range vs {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	if len(cfg.Body) > 0 || cfg.Method == "POST" || cfg.Method == "PUT" || cfg.Method == "PATCH" {
		b.WriteString("Content-Length: " + strconv.Itoa(len(cfg.Body)) + "\r\n")
	}
	b.WriteString("\r\n")
	b.Write(cfg.Body)
	return b.Bytes()
}

// statusOutcome fills in an outcome for a response with the given status.
func statusOutcome(o *Outcome, status int) {
	o.Status = status
	if status >= 400 {
		o.Err = statusErrors[status]
		if o.Err == nil {
			o.Err = &StatusError{status}
		}
		o.Class = ClassStatus
	}
}

// statusErrors holds an error for each status code 400-599, made once so
// that a server answering 500 to every request costs no allocation.
var statusErrors = func() map[int]error {
	m := map[int]error{}
	for c := 400; c < 600; c++ {
		m[c] = &StatusError{c}
	}
	return m
}()

// deadlineCtx returns the sooner of ctx's deadline and now+timeout.
func deadline(ctx context.Context, timeout time.Duration) time.Time {
	d := time.Now().Add(timeout)
	if cd, ok := ctx.Deadline(); ok && cd.Before(d) {
		return cd
	}
	return d
}
