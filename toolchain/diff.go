package toolchain

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"

	modzip "golang.org/x/mod/zip"
)

// A FileChange names one file in which an installed tree differs from the
// release. Name is tree-relative and slash-separated, as the user sees
// it ("bin/gofmt", "go.env", "src/go.mod"): a module file "_go.mod" is
// named "go.mod" when the tree is an installed distribution.
type FileChange struct {
	Name   string `json:"name"`
	Change string `json:"change"` // "modified", "missing" or "added"
}

// File change kinds.
const (
	ChangeModified = "modified" // in both, with different content
	ChangeMissing  = "missing"  // in the release, not in the tree
	ChangeAdded    = "added"    // in the tree, not in the release
)

// fetchZip downloads the toolchain module zip at version through the
// proxies into a temporary file, which the caller removes.
func fetchZip(ctx context.Context, client *http.Client, proxies []proxySpec, version string) (string, error) {
	var name string
	err := tryProxies(proxies, func(base string) error {
		u, err := zipURL(base, version)
		if err != nil {
			return err
		}
		body, err := openURL(ctx, client, u)
		if err != nil {
			return err
		}
		defer body.Close()
		f, err := os.CreateTemp("", "nativego-toolchain-*.zip")
		if err != nil {
			return err
		}
		// modzip.MaxZipFile (500 MiB) is the largest module zip the go
		// command accepts; a proxy sending more is not serving a module.
		n, err := io.Copy(f, io.LimitReader(body, modzip.MaxZipFile+1))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil && n > modzip.MaxZipFile {
			err = fmt.Errorf("GET %s: module zip larger than %d bytes", u, int64(modzip.MaxZipFile))
		}
		if err != nil {
			os.Remove(f.Name())
			return err
		}
		name = f.Name()
		return nil
	})
	return name, err
}

// diffZip compares the tree mapped in l, whose files have the digests
// sums, with the module zip at zipPath. It first proves the zip is the
// release: its h1: hash must be expected (the same hash dirhash.HashZip
// computes). It returns the differing files sorted by name.
func diffZip(ctx context.Context, zipPath, prefix, expected string, l *layout, sums []digest) ([]FileChange, error) {
	z, err := zip.OpenReader(zipPath)
	if err != nil {
		return nil, fmt.Errorf("module zip: %w", err)
	}
	defer z.Close()
	names := make([]string, len(z.File))
	seen := make(map[string]bool, len(z.File))
	for i, f := range z.File {
		if !strings.HasPrefix(f.Name, prefix) || seen[f.Name] {
			return nil, fmt.Errorf("module zip from the proxy is not the release: unexpected or repeated file %q", f.Name)
		}
		seen[f.Name] = true
		names[i] = f.Name
	}
	zsums, err := digestAll(ctx, len(z.File), func(i int) (io.ReadCloser, error) { return z.File[i].Open() })
	if err != nil {
		return nil, fmt.Errorf("module zip: %w", err)
	}
	got, err := hash1(names, zsums)
	if err != nil {
		return nil, err
	}
	if got != expected {
		return nil, fmt.Errorf("module zip from the proxy is not the release: it hashes to %s, not the expected %s", got, expected)
	}

	release := make(map[string]digest, len(names))
	for i, n := range names {
		release[strings.TrimPrefix(n, prefix)] = zsums[i]
	}
	var changes []FileChange
	inTree := make(map[string]bool, len(l.Files))
	for i, f := range l.Files {
		inTree[f.Mod] = true
		want, ok := release[f.Mod]
		switch {
		case !ok:
			changes = append(changes, FileChange{Name: f.Name, Change: ChangeAdded})
		case want != sums[i]:
			changes = append(changes, FileChange{Name: f.Name, Change: ChangeModified})
		}
	}
	for mod := range release {
		if !inTree[mod] {
			changes = append(changes, FileChange{Name: l.treeName(mod), Change: ChangeMissing})
		}
	}
	slices.SortFunc(changes, func(a, b FileChange) int { return strings.Compare(a.Name, b.Name) })
	return changes, nil
}
