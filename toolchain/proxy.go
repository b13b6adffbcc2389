package toolchain

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strings"

	"golang.org/x/mod/module"
)

// A fetchError is a failed GET. It matches fs.ErrNotExist for 404 and
// 410, the two answers after which the go command tries the next GOPROXY
// entry even when the entries are separated by ','.
type fetchError struct {
	URL    string
	Status int // HTTP status; 0 for transport errors
	Err    error
}

func (e *fetchError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("GET %s: %d %s", e.URL, e.Status, http.StatusText(e.Status))
	}
	return fmt.Sprintf("GET %s: %v", e.URL, e.Err)
}

func (e *fetchError) Unwrap() error { return e.Err }

func (e *fetchError) Is(target error) bool {
	return target == fs.ErrNotExist && (e.Status == http.StatusNotFound || e.Status == http.StatusGone)
}

// openURL GETs rawURL (http, https or file, the schemes GOPROXY accepts)
// and returns the body. The caller closes it.
func openURL(ctx context.Context, client *http.Client, rawURL string) (io.ReadCloser, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "file" {
		f, err := os.Open(u.Path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &fetchError{URL: redacted(u), Status: http.StatusNotFound, Err: err}
		}
		return f, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, &fetchError{URL: redacted(u), Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, &fetchError{URL: redacted(u), Status: resp.StatusCode}
	}
	return resp.Body, nil
}

// redacted hides a password in u, for messages.
func redacted(u *url.URL) string { return u.Redacted() }

// getBytes GETs rawURL and returns at most limit bytes of body, failing
// when the body is longer.
func getBytes(ctx context.Context, client *http.Client, rawURL string, limit int64) ([]byte, error) {
	body, err := openURL(ctx, client, rawURL)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	data, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("GET %s: response larger than %d bytes", rawURL, limit)
	}
	return data, nil
}

// joinURL appends a slash-separated path to a base URL.
func joinURL(base, p string) string {
	return strings.TrimSuffix(base, "/") + "/" + strings.TrimPrefix(p, "/")
}

// errNoProxy reports a GOPROXY list that ends before any proxy served
// the module: "direct" cannot help, as golang.org/toolchain exists only
// on module proxies.
var errNoProxy = errors.New("no GOPROXY entry served the toolchain module")

// tryProxies calls f with each proxy in turn, moving on as
// cmd/go/internal/modfetch.TryProxies does: after a "not found" error, or
// after any error when the entry was followed by '|'. It stops at
// "direct" or "off".
func tryProxies(proxies []proxySpec, f func(base string) error) error {
	var last error = errNoProxy
	for _, p := range proxies {
		if p.URL == "direct" || p.URL == "off" {
			break
		}
		err := f(p.URL)
		if err == nil {
			return nil
		}
		last = err
		if !p.FallBackOnError && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return last
}

// zipURL is where a proxy serves the module zip of golang.org/toolchain
// at version (the GOPROXY protocol: $base/$module/@v/$version.zip, both
// case-escaped).
func zipURL(base, version string) (string, error) {
	ep, err := module.EscapePath(modulePath)
	if err != nil {
		return "", err
	}
	ev, err := module.EscapeVersion(version)
	if err != nil {
		return "", err
	}
	return joinURL(base, ep+"/@v/"+ev+".zip"), nil
}
