package toolchain

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// VerifyOptions configures Verify. The zero value verifies the tree
// against the checksum database the go command would use.
type VerifyOptions struct {
	// Version, GOOS and GOARCH name the release the tree claims to be.
	// When empty, Version is the first line of the tree's VERSION file
	// and GOOS/GOARCH are read from the header of its bin/go.
	Version, GOOS, GOARCH string

	// GoSum, when set, is the expected hash as a go.sum line, such as
	// "golang.org/toolchain v0.0.1-go1.27.3.darwin-arm64 h1:...". Nothing
	// is fetched to learn the expected hash; the line must name the
	// tree's module and version.
	GoSum string

	// GOPROXY and GOSUMDB override the go command's settings. When empty
	// each is read as the go command reads it: the process environment,
	// then the user's go env file, then the go command's own defaults.
	// GOSUMDB=off and GONOSUMDB do not turn verification off: the go
	// command itself refuses to download a toolchain it cannot check, so
	// Verify then uses the go command's default database and says so in
	// Notes.
	GOPROXY, GOSUMDB string

	// Source is the install method, as toolchain discovery reports it
	// ("official", "homebrew", "debian", "nix", ...). Trees that packagers
	// build from source can never match a release and are reported as
	// StatusNotVerifiable, not as a mismatch.
	Source string

	// Client makes the HTTP requests; nil means http.DefaultClient.
	Client *http.Client

	// NoDiff skips fetching the module zip, which names the differing
	// files on a mismatch.
	NoDiff bool
}

// A VerifyStatus is the outcome of a verification.
type VerifyStatus int

// Verification outcomes.
const (
	StatusOK            VerifyStatus = iota // the tree is exactly the release
	StatusMismatch                          // the tree differs from the release
	StatusNotVerifiable                     // no release to compare with: built from source, or not a release tree
	StatusError                             // the check could not be made; see Err
)

var statusNames = [...]string{
	StatusOK:            "ok",
	StatusMismatch:      "mismatch",
	StatusNotVerifiable: "not-verifiable",
	StatusError:         "error",
}

// String returns the status's name as used in JSON, such as "mismatch".
func (s VerifyStatus) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("VerifyStatus(%d)", int(s))
}

// MarshalText implements encoding.TextMarshaler with String.
func (s VerifyStatus) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// A Verification is what Verify found.
type Verification struct {
	Status   VerifyStatus `json:"status"`
	Module   string       `json:"module"`             // "golang.org/toolchain@v0.0.1-go1.27.3.darwin-arm64"
	Expected string       `json:"expected,omitempty"` // h1: hash from the checksum database or GoSum
	Got      string       `json:"got,omitempty"`      // h1: hash of the tree mapped onto the module
	// Files names each differing file on a mismatch, sorted by name; it
	// is empty when NoDiff was set or the module zip could not be had.
	Files []FileChange `json:"files,omitempty"`
	Notes []string     `json:"notes,omitempty"` // explanations for people
	Err   string       `json:"error,omitempty"`
}

// noteGoEnv explains the most common difference.
const noteGoEnv = "go.env differs from the release: an edited go.env is a common, deliberate change (go env -w writes the user's env file instead)"

// sourceBuilt lists install methods whose Go is compiled by the packager
// rather than copied from the release (the Homebrew formula, Debian and
// Fedora packages, nixpkgs and the like build from the source archive).
var sourceBuilt = map[string]bool{
	"homebrew": true, "macports": true, "debian": true, "ubuntu": true, "apt": true,
	"fedora": true, "rhel": true, "rpm": true, "dnf": true, "arch": true, "pacman": true,
	"alpine": true, "apk": true, "nix": true, "guix": true, "source": true,
}

// Verify proves the Go installation at root intact, or names how it
// differs, by hashing it as the module golang.org/toolchain and
// comparing with the hash the Go checksum database (or opts.GoSum) holds
// for that release. On a mismatch, unless opts.NoDiff, it downloads the
// module zip through GOPROXY, checks the zip against the same hash, and
// names each modified, missing and added file.
//
// Verify always returns a Verification. When its Status is StatusError,
// the returned error is that error too (wrapping ErrSecurity when the
// checksum database misbehaved); a mismatch is not an error.
func Verify(ctx context.Context, root string, opts VerifyOptions) (*Verification, error) {
	v := &Verification{}
	fail := func(err error) (*Verification, error) {
		v.Status, v.Err = StatusError, err.Error()
		return v, err
	}
	notVerifiable := func(why string) (*Verification, error) {
		v.Status = StatusNotVerifiable
		v.Notes = append(v.Notes, "not verifiable: "+why)
		return v, nil
	}
	version, goos, goarch := opts.Version, opts.GOOS, opts.GOARCH
	var verr, perr error
	if version == "" {
		version, verr = readVersion(root)
	}
	if goos == "" || goarch == "" {
		var g, a string
		g, a, perr = readPlatform(root)
		goos, goarch = cmp.Or(goos, g), cmp.Or(goarch, a)
	}
	if verr == nil && perr == nil {
		v.Module = modulePath + "@" + moduleVersion(version, goos, goarch)
	}
	if sourceBuilt[strings.ToLower(opts.Source)] {
		return notVerifiable("built from source (" + opts.Source + "); no release has its files")
	}
	switch {
	case errors.Is(verr, fs.ErrNotExist):
		return notVerifiable("no VERSION file: a development tree, not a release")
	case verr != nil:
		return fail(verr)
	case perr != nil:
		return fail(perr)
	}
	modVersion := moduleVersion(version, goos, goarch)

	l, err := mapTree(root)
	if err != nil {
		return fail(err)
	}
	prefix := v.Module + "/"
	names := make([]string, len(l.Files))
	for i, f := range l.Files {
		names[i] = prefix + f.Mod
	}
	sums, err := digestAll(ctx, len(l.Files), func(i int) (io.ReadCloser, error) {
		return os.Open(filepath.Join(l.Root, filepath.FromSlash(l.Files[i].Name)))
	})
	if err != nil {
		return fail(err)
	}
	if v.Got, err = hash1(names, sums); err != nil {
		return fail(err)
	}

	client := opts.Client
	if client == nil {
		client = http.DefaultClient
	}
	var proxies []proxySpec
	if opts.GoSum != "" {
		if v.Expected, err = parseGoSum(opts.GoSum, modVersion); err != nil {
			return fail(err)
		}
	} else {
		if proxies, err = resolveProxies(ctx, opts); err != nil {
			return fail(err)
		}
		cfg, note, err := resolveSumDB(ctx, opts)
		if err != nil {
			return fail(err)
		}
		if note != "" {
			v.Notes = append(v.Notes, note)
		}
		if v.Expected, err = lookupSum(ctx, client, cfg, proxies, modVersion); err != nil {
			return fail(err)
		}
	}
	if v.Got == v.Expected {
		v.Status = StatusOK
		return v, nil
	}

	v.Status = StatusMismatch
	if opts.NoDiff {
		return v, nil
	}
	if proxies == nil {
		if proxies, err = resolveProxies(ctx, opts); err != nil {
			v.Notes = append(v.Notes, "cannot name the differing files: "+err.Error())
			return v, nil
		}
	}
	zipPath, err := fetchZip(ctx, client, proxies, modVersion)
	if err != nil {
		v.Notes = append(v.Notes, "cannot name the differing files: "+err.Error())
		return v, nil
	}
	defer os.Remove(zipPath)
	files, err := diffZip(ctx, zipPath, prefix, v.Expected, l, sums)
	if err != nil {
		v.Notes = append(v.Notes, "cannot name the differing files: "+err.Error())
		return v, nil
	}
	v.Files = files
	for _, f := range files {
		if f.Name == "go.env" && f.Change == ChangeModified {
			v.Notes = append(v.Notes, noteGoEnv)
		}
	}
	return v, nil
}

// parseGoSum returns the h1: hash of a go.sum line for the toolchain
// module at version.
func parseGoSum(line, version string) (string, error) {
	f := strings.Fields(line)
	if len(f) != 3 || !strings.HasPrefix(f[2], "h1:") {
		return "", fmt.Errorf("GoSum %q is not a go.sum line \"<module> <version> h1:<hash>\"", line)
	}
	if f[0] != modulePath || f[1] != version {
		return "", fmt.Errorf("GoSum is for %s@%s, the tree is %s@%s", f[0], f[1], modulePath, version)
	}
	return f[2], nil
}

// resolveProxies returns the parsed GOPROXY.
func resolveProxies(ctx context.Context, opts VerifyOptions) ([]proxySpec, error) {
	goproxy := opts.GOPROXY
	if goproxy == "" {
		var err error
		if goproxy, err = setting(ctx, "GOPROXY"); err != nil {
			return nil, err
		}
	}
	return parseGOPROXY(goproxy)
}

// resolveSumDB returns the parsed GOSUMDB, and a note when GOSUMDB=off
// was overridden.
func resolveSumDB(ctx context.Context, opts VerifyOptions) (sumdbConfig, string, error) {
	gosumdb := opts.GOSUMDB
	if gosumdb == "" {
		var err error
		if gosumdb, err = setting(ctx, "GOSUMDB"); err != nil {
			return sumdbConfig{}, "", err
		}
	}
	note := ""
	if gosumdb == "off" {
		d, err := goDefaults(ctx)
		if err != nil {
			return sumdbConfig{}, "", err
		}
		gosumdb = d["GOSUMDB"]
		note = "GOSUMDB=off: used the go command's default checksum database, which toolchains always need"
	}
	cfg, err := parseGOSUMDB(gosumdb)
	return cfg, note, err
}
