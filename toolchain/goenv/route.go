package goenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/mod/module"
)

// A Route is how the go command would fetch a module and check its
// checksum (cmd/go/internal/modfetch: proxyList, TryProxies, lookup,
// useSumDB).
type Route struct {
	Module string `json:"module"`

	// Steps are tried in order. After a proxy step, the next is tried
	// when the proxy answers 404 or 410, or on any error when the step
	// has FallBackOnError.
	Steps []RouteStep `json:"steps"`

	// Private is true when GONOPROXY matches: the module is fetched
	// directly from its version control host, never through a proxy.
	Private bool `json:"private,omitempty"`
	// Insecure is true when GOINSECURE matches: a direct fetch may use
	// plain HTTP and skip certificate checks.
	Insecure bool `json:"insecure,omitempty"`

	// Checksum says whether and where the module's checksums are checked.
	Checksum RouteChecksum `json:"checksum"`

	// Problem explains why the module cannot be fetched at all; "" when
	// it can.
	Problem string `json:"problem,omitempty"`
}

// A RouteStep is one place the go command tries.
type RouteStep struct {
	// Kind is "proxy", "direct" (the version control host) or "off".
	Kind string `json:"kind"`
	// URL is the proxy's base URL (redacted); for direct, the host the
	// go command asks with ?go-get=1 or the VCS.
	URL string `json:"url"`
	// Fallback is when the next step is tried: "on 404/410", "on any
	// error", or "" for the last step.
	Fallback string `json:"fallback,omitempty"`

	url string // unredacted, for Probe
}

// RouteChecksum says how a module's go.sum lines are verified.
type RouteChecksum struct {
	Verified bool   `json:"verified"`
	Database string `json:"database,omitempty"` // the checksum database's name
	URL      string `json:"url,omitempty"`      // where it is reached, when GOSUMDB names a URL
	// Reason explains an unverified module: GOSUMDB=off, or the
	// GONOSUMDB pattern that matched.
	Reason string `json:"reason,omitempty"`
}

// RouteOf computes the route of modulePath in env. It does no I/O.
func RouteOf(env *Env, modulePath string) (*Route, error) {
	if err := module.CheckImportPath(modulePath); err != nil {
		return nil, fmt.Errorf("goenv: %w", err)
	}
	r := &Route{Module: modulePath}
	host, _, _ := strings.Cut(modulePath, "/")
	direct := RouteStep{Kind: "direct", URL: "https://" + host, url: "https://" + host}
	r.Insecure = Match(env.Get("GOINSECURE"), modulePath)
	if r.Insecure {
		direct.URL, direct.url = "http(s)://"+host, "http://"+host
	}
	if Match(env.Get("GONOPROXY"), modulePath) {
		r.Private = true
		r.Steps = []RouteStep{direct}
	} else {
		list, probs := ParseGOPROXY(env.Get("GOPROXY"))
		for _, p := range probs {
			if p.Severity == Error {
				r.Problem = p.Message
			}
		}
		for i, e := range list {
			st := RouteStep{Kind: "proxy", URL: Redact(e.URL), url: e.URL}
			switch {
			case e.Direct():
				st = direct
			case e.Off():
				st = RouteStep{Kind: "off", URL: "off"}
				if i == 0 {
					r.Problem = "GOPROXY=off: module downloads are disabled"
				}
			}
			if i+1 < len(list) {
				st.Fallback = "on 404/410"
				if e.FallBackOnError {
					st.Fallback = "on any error"
				}
			}
			r.Steps = append(r.Steps, st)
		}
	}
	switch sum := env.Get("GOSUMDB"); {
	case modulePath == "golang.org/toolchain":
		db, _ := ParseGOSUMDB(sum)
		r.Checksum = RouteChecksum{Verified: true, Database: db.Name, URL: Redact(db.URL), Reason: "toolchain downloads always consult the checksum database"}
		if db.Off {
			r.Checksum.Reason += ", so with GOSUMDB=off they fail"
		}
	case sum == "off":
		r.Checksum = RouteChecksum{Reason: "GOSUMDB=off"}
	case Match(env.Get("GONOSUMDB"), modulePath):
		r.Checksum = RouteChecksum{Reason: "GONOSUMDB matches (" + env.Get("GONOSUMDB") + ")"}
	default:
		db, probs := ParseGOSUMDB(sum)
		r.Checksum = RouteChecksum{Verified: true, Database: db.Name, URL: Redact(db.URL)}
		for _, p := range probs {
			if p.Severity == Error {
				r.Checksum.Reason = "GOSUMDB is invalid, so fetches fail: " + p.Message
			}
		}
	}
	return r, nil
}

// A ProbeStep is the outcome of asking one step of a route.
type ProbeStep struct {
	URL      string `json:"url"`              // the request made (redacted), or the step's URL when not asked
	Status   int    `json:"status,omitempty"` // the HTTP status; 0 when no answer
	Error    string `json:"error,omitempty"`
	Versions int    `json:"versions,omitempty"` // the versions listed, on success
	Skipped  string `json:"skipped,omitempty"`  // why the step was not asked
}

// A ProbeResult says which step of a route answered.
type ProbeResult struct {
	Steps []ProbeStep `json:"steps"`
	// AnsweredBy is the redacted URL of the step that answered with the
	// module's version list; "" when none did.
	AnsweredBy string `json:"answered_by,omitempty"`
}

// maxListBody bounds an @v/list response: one version per line, and
// modules with a few thousand versions exist.
const maxListBody = 4 << 20

// Probe performs the @v/list request the go command would make along
// route, following its fallback rules, with client (nil means
// http.DefaultClient). A direct step is reported, not asked: the go
// command would run the version control tool there. Probe makes network
// requests only to the proxies the route names.
func Probe(ctx context.Context, route *Route, client *http.Client) (*ProbeResult, error) {
	if client == nil {
		client = http.DefaultClient
	}
	res := &ProbeResult{}
	enc, err := module.EscapePath(route.Module)
	if err != nil {
		return nil, fmt.Errorf("goenv: %w", err)
	}
	for _, st := range route.Steps {
		if st.Kind != "proxy" {
			res.Steps = append(res.Steps, ProbeStep{URL: st.URL, Skipped: st.Kind + ": not probed (the go command would run the version control tool, or nothing)"})
			break
		}
		u := strings.TrimSuffix(st.url, "/") + "/" + enc + "/@v/list"
		ps := ProbeStep{URL: Redact(u)}
		status, n, err := getList(ctx, client, u)
		ps.Status, ps.Versions = status, n
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			ps.Error = Redact(err.Error())
		}
		res.Steps = append(res.Steps, ps)
		if err == nil && status == http.StatusOK {
			res.AnsweredBy = Redact(st.url)
			break
		}
		notFound := status == http.StatusNotFound || status == http.StatusGone
		if !notFound && st.Fallback != "on any error" {
			break
		}
	}
	return res, nil
}

func getList(ctx context.Context, client *http.Client, u string) (status, versions int, err error) {
	pu, err := url.Parse(u)
	if err != nil {
		return 0, 0, err
	}
	if pu.Scheme == "file" {
		return 0, 0, errors.New("file:// proxies are not probed")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxListBody))
	if err != nil {
		return resp.StatusCode, 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, 0, fmt.Errorf("%s", resp.Status)
	}
	for line := range strings.Lines(string(body)) {
		if strings.TrimSpace(line) != "" {
			versions++
		}
	}
	return resp.StatusCode, versions, nil
}
