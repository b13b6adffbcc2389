package toolchain

import (
	"context"
	"errors"
	"net/http"
)

// ErrNoSumDB is returned, wrapped, by LookupModule when GOSUMDB=off: no
// checksum database is configured to ask.
var ErrNoSumDB = errors.New("GOSUMDB=off: no checksum database configured")

// LookupOptions configures LookupModule. The zero value asks the checksum
// database the go command would use, the way it would reach it.
type LookupOptions struct {
	// GOPROXY and GOSUMDB override the go command's settings, read as
	// for VerifyOptions when empty.
	GOPROXY, GOSUMDB string
	// Client makes the HTTP requests; nil means http.DefaultClient.
	Client *http.Client
}

// LookupModule returns the go.sum lines that the checksum database holds
// for the module path at version ("path version h1:..."), or for its
// go.mod file when version ends in "/go.mod", and the database's name.
// Looking up both costs one request: the record is cached for the life
// of the process. The database's
// signature on its tree head and the inclusion proof of the record in
// its log are checked as the go command checks them, and the tree head
// must extend those this process saw before.
//
// The error wraps ErrSecurity when the database misbehaved,
// fs.ErrNotExist when it does not know that module version, and
// ErrNoSumDB when GOSUMDB is off. LookupModule is safe for concurrent
// use.
func LookupModule(ctx context.Context, path, version string, opts LookupOptions) (lines []string, db string, err error) {
	vopts := VerifyOptions{GOPROXY: opts.GOPROXY, GOSUMDB: opts.GOSUMDB}
	gosumdb := opts.GOSUMDB
	if gosumdb == "" {
		if gosumdb, err = setting(ctx, "GOSUMDB"); err != nil {
			return nil, "", err
		}
	}
	if gosumdb == "off" {
		return nil, "", ErrNoSumDB
	}
	vopts.GOSUMDB = gosumdb
	proxies, err := resolveProxies(ctx, vopts)
	if err != nil {
		return nil, "", err
	}
	cfg, _, err := resolveSumDB(ctx, vopts)
	if err != nil {
		return nil, "", err
	}
	client := opts.Client
	if client == nil {
		client = http.DefaultClient
	}
	lines, err = lookupLines(ctx, client, cfg, proxies, path, version)
	return lines, cfg.Name, err
}
