package modaudit

import (
	"context"
	"fmt"
	"os"
)

// A Coverage says how much of what a first build of a module downloads
// is already in the module cache.
type Coverage struct {
	ModCache string `json:"modcache"`
	// Zips counts the module zips a build needs: those go.sum holds a
	// zip hash for, at their selected version. Extracted counts the
	// cached ones whose tree is extracted too.
	Zips CoverageCount `json:"zips"`
	// ModFiles counts the go.mod files loading the module graph needs:
	// those go.sum holds a go.mod hash for.
	ModFiles CoverageCount `json:"mod_files"`
	// Share is the fraction of needed zips already cached, 1 when none
	// are needed.
	Share float64 `json:"share"`
	// Missing names each file a first build would download.
	Missing []MissingFile `json:"missing,omitempty"`
	Notes   []string      `json:"notes,omitempty"`
}

// A CoverageCount counts needed and cached files of one kind.
type CoverageCount struct {
	Needed    int `json:"needed"`
	Cached    int `json:"cached"`
	Extracted int `json:"extracted,omitempty"`
	// CachedBytes is the size of the cached files. The size of a missing
	// file is not known without asking a module proxy, and is not counted
	// anywhere.
	CachedBytes int64 `json:"cached_bytes"`
}

// A MissingFile is a file of the module cache a first build downloads.
type MissingFile struct {
	Path    string `json:"path"`
	Version string `json:"version"`
	Kind    string `json:"kind"` // "zip" or "mod"
}

// CacheCoverage reports the share of the module in dir's build list
// already in the module cache, offline: which module zips and go.mod
// files a first build would download, and the bytes of those it would
// not. The needed files are read from go.sum, which holds a hash for
// each (so an untidy go.sum can make them differ from a real build's),
// at the versions of [Module.BuildList] or opts.Modules.
func CacheCoverage(ctx context.Context, dir string, opts CacheOptions) (*Coverage, error) {
	m, err := LoadModule(dir)
	if err != nil {
		return nil, err
	}
	modCache := opts.ModCache
	if modCache == "" {
		if modCache, err = ModCache(); err != nil {
			return nil, err
		}
	}
	if err := checkModCache(modCache); err != nil {
		return nil, err
	}
	mods := opts.Modules
	if mods == nil {
		mods = m.BuildList()
	}
	selected := make(map[string]string, len(mods))
	for _, mv := range mods {
		selected[mv.Path] = mv.Version
	}
	c := &Coverage{ModCache: modCache}
	seen := make(map[SumLine]bool)
	for _, l := range m.Sums {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		mv := l.Module()
		key := SumLine{Path: l.Path, Version: l.Version}
		if seen[key] || !l.GoMod() && selected[mv.Path] != mv.Version {
			continue // a second hash of one file, or a zip outside the build list
		}
		seen[key] = true
		p, err := pathsFor(modCache, mv)
		if err != nil {
			return nil, err
		}
		count, file, kind := &c.Zips, p.Zip, "zip"
		if l.GoMod() {
			count, file, kind = &c.ModFiles, p.Mod, "mod"
		}
		count.Needed++
		fi, err := os.Stat(file)
		if err != nil {
			c.Missing = append(c.Missing, MissingFile{Path: mv.Path, Version: mv.Version, Kind: kind})
			continue
		}
		count.Cached++
		count.CachedBytes += fi.Size()
		if kind == "zip" && extracted(p) {
			count.Extracted++
		}
	}
	c.Share = 1
	if c.Zips.Needed > 0 {
		c.Share = float64(c.Zips.Cached) / float64(c.Zips.Needed)
	}
	if n := c.Zips.Needed - c.Zips.Cached; n > 0 {
		c.Notes = append(c.Notes, fmt.Sprintf("%d module zips would be downloaded; their sizes are unknown offline", n))
	}
	return c, nil
}

// A CacheReport is what [AuditCache] found: the coverage and the
// verification of one module's build list in the module cache.
type CacheReport struct {
	Coverage *Coverage          `json:"coverage"`
	Verify   *CacheVerification `json:"verify"`
}

// AuditCache runs [CacheCoverage] and [VerifyCache] on the module in dir
// with the same options.
func AuditCache(ctx context.Context, dir string, opts CacheOptions) (*CacheReport, error) {
	c, err := CacheCoverage(ctx, dir, opts)
	if err != nil {
		return nil, err
	}
	v, err := VerifyCache(ctx, dir, opts)
	if err != nil {
		return nil, err
	}
	return &CacheReport{Coverage: c, Verify: v}, nil
}
