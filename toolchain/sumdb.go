package toolchain

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// ErrSecurity is wrapped by the error Verify returns when a checksum
// database misbehaves: a tree head signed by a key other than the
// configured one, or a log that contradicts a tree head this process
// already accepted from it. Either means the answer cannot be trusted.
var ErrSecurity = errors.New("checksum database security error")

// defaultKeyTail is the default checksum database's verifier key without
// its name: "<key hash>+<base64 of the algorithm byte and Ed25519 public
// key>" (note.NewVerifier's format; the key the go command pins in
// cmd/go/internal/modfetch/key.go). The name is whatever the go command
// reports as its default GOSUMDB; note.NewVerifier recomputes the 4-byte
// key hash over name and key, so a name that is not this key's refuses to
// pair with it.
const defaultKeyTail = "033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"

// A sumdbConfig is a parsed GOSUMDB.
type sumdbConfig struct {
	Name string // the database name, host[/path]
	Key  string // its verifier key
	URL  string // the explicit URL from "key url"; "" to reach it through GOPROXY or directly
}

// parseGOSUMDB parses GOSUMDB as cmd/go/internal/modfetch.dbDial does:
// "key" or "key url", where a key is name+hash+base64 or a name with a
// known key. The only name known without its key is the go command's
// default.
func parseGOSUMDB(gosumdb string) (sumdbConfig, error) {
	f := strings.Fields(gosumdb)
	switch {
	case len(f) == 0:
		return sumdbConfig{}, errors.New("missing GOSUMDB")
	case len(f) > 2:
		return sumdbConfig{}, fmt.Errorf("invalid GOSUMDB %q: too many fields", gosumdb)
	}
	key := f[0]
	if !strings.Contains(key, "+") {
		key += "+" + defaultKeyTail
	}
	v, err := note.NewVerifier(key)
	if err != nil {
		if !strings.Contains(f[0], "+") {
			return sumdbConfig{}, fmt.Errorf("GOSUMDB %q: no key known for that name; give the full key", f[0])
		}
		return sumdbConfig{}, fmt.Errorf("invalid GOSUMDB: %v", err)
	}
	cfg := sumdbConfig{Name: v.Name(), Key: key}
	// No funny business in the database name (dbDial's check): it becomes
	// a URL path and a cache key.
	direct, err := url.Parse("https://" + cfg.Name)
	if err != nil || strings.HasSuffix(cfg.Name, "/") || direct.Host == "" || direct.RawPath != "" ||
		*direct != (url.URL{Scheme: "https", Host: direct.Host, Path: direct.Path}) {
		return sumdbConfig{}, fmt.Errorf("invalid checksum database name (must be host[/path]): %q", cfg.Name)
	}
	if len(f) == 2 {
		if _, err := url.Parse(f[1]); err != nil {
			return sumdbConfig{}, fmt.Errorf("invalid GOSUMDB URL: %v", err)
		}
		cfg.URL = f[1]
	}
	return cfg, nil
}

// latestHeads holds, per database name, the latest signed tree head this
// process accepted, playing the part of the go command's
// $GOPATH/pkg/sumdb/<name>/latest: each new Verify checks that the
// database's log still extends what an earlier one saw, so a database
// that forks its log is caught within a process.
var latestHeads struct {
	sync.Mutex
	m map[string][]byte
}

// maxSumdbResponse bounds a lookup or tile response. A lookup is a record
// and a signed note (a few hundred bytes); a tile of height 8 is at most
// 2^8 hashes of 32 bytes.
const maxSumdbResponse = 1 << 20

// sumdbOps implements sumdb.ClientOps for one Verify call.
type sumdbOps struct {
	ctx     context.Context
	client  *http.Client
	cfg     sumdbConfig
	proxies []proxySpec
	verif   note.Verifiers

	once    sync.Once
	base    string
	baseErr error

	mu       sync.Mutex
	secErr   error // the first security problem seen
	notFound bool  // the database answered a lookup with 404 or 410
}

func (o *sumdbOps) security(err error) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.secErr == nil {
		o.secErr = fmt.Errorf("%w: %v", ErrSecurity, err)
	}
	return o.secErr
}

// initBase finds how to reach the database, as the go command does: an
// explicit URL from GOSUMDB wins; otherwise each proxy is asked for
// <proxy>/sumdb/<name>/supported, and the first to answer 200 is used
// exclusively; 404 or 410 (or any error after '|') moves to the next;
// when the list ends, or reaches "direct" or "off", the database is
// contacted at https://<name>.
func (o *sumdbOps) initBase() {
	if o.cfg.URL != "" {
		o.base = o.cfg.URL
		return
	}
	err := tryProxies(o.proxies, func(proxy string) error {
		if _, err := getBytes(o.ctx, o.client, joinURL(proxy, "sumdb/"+o.cfg.Name+"/supported"), maxSumdbResponse); err != nil {
			return err
		}
		o.base = joinURL(proxy, "sumdb/"+o.cfg.Name)
		return nil
	})
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, errNoProxy):
		o.base = "https://" + o.cfg.Name
	default:
		o.baseErr = err
	}
}

func (o *sumdbOps) ReadRemote(path string) ([]byte, error) {
	o.once.Do(o.initBase)
	if o.baseErr != nil {
		return nil, o.baseErr
	}
	data, err := getBytes(o.ctx, o.client, joinURL(o.base, path), maxSumdbResponse)
	if err != nil {
		if strings.HasPrefix(path, "/lookup/") && errors.Is(err, fs.ErrNotExist) {
			o.mu.Lock()
			o.notFound = true // sumdb.Client reports it with %v, losing the type
			o.mu.Unlock()
		}
		return nil, err
	}
	if strings.HasPrefix(path, "/lookup/") {
		// sumdb.Client reports a badly signed tree note with %v, losing its
		// type; check the signature here first so that a forged note is
		// reported as the security problem it is.
		_, _, msg, perr := tlog.ParseRecord(data)
		if perr == nil {
			if _, err := note.Open(msg, o.verif); err != nil {
				var unverified *note.UnverifiedNoteError
				var invalid *note.InvalidSignatureError
				if errors.As(err, &unverified) || errors.As(err, &invalid) {
					return nil, o.security(fmt.Errorf("tree head from %s not signed by %s: %v", o.cfg.Name, o.cfg.Name, err))
				}
			}
		}
	}
	return data, nil
}

func (o *sumdbOps) ReadConfig(file string) ([]byte, error) {
	if file == "key" {
		return []byte(o.cfg.Key), nil
	}
	latestHeads.Lock()
	defer latestHeads.Unlock()
	return latestHeads.m[file], nil // nil: start from the empty tree
}

func (o *sumdbOps) WriteConfig(file string, old, new []byte) error {
	if file == "key" {
		return errors.New("cannot write key")
	}
	latestHeads.Lock()
	defer latestHeads.Unlock()
	if string(latestHeads.m[file]) != string(old) {
		return sumdb.ErrWriteConflict
	}
	if latestHeads.m == nil {
		latestHeads.m = make(map[string][]byte)
	}
	latestHeads.m[file] = new
	return nil
}

// ReadCache and WriteCache keep the tiles and lookups of every database
// for the life of the process, as the go command keeps them in its module
// cache. Besides saving requests, the cached tiles are what lets a later
// Verify prove a fork: without them, the tiles for the tree head it
// already accepted would be asked of the forking server itself.
func (o *sumdbOps) ReadCache(file string) ([]byte, error) {
	sumdbCache.Lock()
	defer sumdbCache.Unlock()
	if data, ok := sumdbCache.m[file]; ok {
		return data, nil
	}
	return nil, fs.ErrNotExist
}

func (o *sumdbOps) WriteCache(file string, data []byte) {
	sumdbCache.Lock()
	defer sumdbCache.Unlock()
	if sumdbCache.m == nil {
		sumdbCache.m = make(map[string][]byte)
	}
	if len(sumdbCache.m) < maxSumdbCache {
		sumdbCache.m[file] = data
	}
}

// sumdbCache holds verified tiles and lookups, keyed by their cache file
// name ("<db name>/tile/8/0/000.p/1", "<db name>/lookup/path@version").
var sumdbCache struct {
	sync.Mutex
	m map[string][]byte
}

// maxSumdbCache bounds sumdbCache: one lookup needs a record and a few
// tiles of at most 8 KiB (2^8 hashes of 32 bytes), so 4096 entries
// (under 32 MiB) cover hundreds of lookups.
const maxSumdbCache = 4096

func (o *sumdbOps) Log(msg string) {}

// SecurityError records the database's misbehavior; sumdb.Client then
// returns sumdb.ErrSecurity, and lookupSum returns the recorded details.
func (o *sumdbOps) SecurityError(msg string) { o.security(errors.New(msg)) }

// lookupSum returns the h1: hash the database cfg holds for the toolchain
// module at version, with signatures and inclusion proofs checked by
// sumdb.Client.
func lookupSum(ctx context.Context, client *http.Client, cfg sumdbConfig, proxies []proxySpec, version string) (string, error) {
	lines, err := lookupLines(ctx, client, cfg, proxies, modulePath, version)
	if err != nil {
		return "", err
	}
	prefix := modulePath + " " + version + " h1:"
	for _, line := range lines {
		if strings.HasPrefix(line, prefix) {
			return strings.TrimPrefix(line, modulePath+" "+version+" "), nil
		}
	}
	return "", fmt.Errorf("checksum database %s has no h1: hash for %s@%s", cfg.Name, modulePath, version)
}

// lookupLines returns the go.sum lines the database cfg holds for
// path@version, with signatures and inclusion proofs checked by
// sumdb.Client. An error wraps ErrSecurity when the database misbehaved,
// and fs.ErrNotExist when it does not know the module version.
func lookupLines(ctx context.Context, client *http.Client, cfg sumdbConfig, proxies []proxySpec, path, version string) ([]string, error) {
	v, err := note.NewVerifier(cfg.Key)
	if err != nil {
		return nil, err
	}
	ops := &sumdbOps{ctx: ctx, client: client, cfg: cfg, proxies: proxies, verif: note.VerifierList(v)}
	lines, err := sumdb.NewClient(ops).Lookup(path, version)
	ops.mu.Lock()
	secErr, notFound := ops.secErr, ops.notFound
	ops.mu.Unlock()
	switch {
	case secErr != nil:
		return nil, secErr
	case err != nil && notFound:
		return nil, fmt.Errorf("checksum database %s: %w: %v", cfg.Name, fs.ErrNotExist, err)
	case err != nil:
		return nil, fmt.Errorf("checksum database %s: %v", cfg.Name, err)
	}
	return lines, nil
}
