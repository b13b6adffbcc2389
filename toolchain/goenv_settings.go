package toolchain

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// The go command reads a setting such as GOPROXY from, in order
// (cmd/go/internal/cfg: Getenv, EnvFile, initEnvCache, readEnvFile):
//
//  1. the process environment, when non-empty;
//  2. the user's env file written by "go env -w": $GOENV, or
//     os.UserConfigDir()/go/env; GOENV=off disables it;
//  3. $GOROOT/go.env of the go command's own GOROOT, for keys the user
//     file lacks;
//  4. a built-in default (empty for GOPROXY and GOSUMDB since Go 1.21:
//     their defaults moved into go.env).
//
// Levels 1 and 2 are read here. Levels 3 and 4 belong to whichever go
// command the user runs, so they are asked of it ("go env" with the first
// two levels switched off) rather than spelled out in this package.
// Verify never reads the verified tree's own go.env for these settings: a
// tampered tree could otherwise name its own checksum database.

// goDefaults returns the go command's defaults for GOPROXY and GOSUMDB:
// its $GOROOT/go.env and built-in values. Tests replace it.
var goDefaults = goCommandDefaults

var goDefaultsCache struct {
	sync.Mutex
	m map[string]string
}

// goCommandDefaults runs "go env -json GOPROXY GOSUMDB" with the
// environment and the user's env file out of the way, and memoizes a
// successful answer for the life of the process.
func goCommandDefaults(ctx context.Context) (map[string]string, error) {
	goDefaultsCache.Lock()
	defer goDefaultsCache.Unlock()
	if goDefaultsCache.m != nil {
		return goDefaultsCache.m, nil
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return nil, fmt.Errorf("finding the go command for the default GOPROXY and GOSUMDB (or set them): %w", err)
	}
	cmd := exec.CommandContext(ctx, goCmd, "env", "-json", "GOPROXY", "GOSUMDB")
	cmd.WaitDelay = 5 * time.Second
	cmd.Dir = os.TempDir() // outside any module: no go.mod may switch toolchains
	cmd.Env = append(os.Environ(), "GOENV=off", "GOPROXY=", "GOSUMDB=", "GOFLAGS=", "GOTOOLCHAIN=local")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go env: %v: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	var m map[string]string
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, fmt.Errorf("go env -json: %w", err)
	}
	goDefaultsCache.m = m
	return m, nil
}

// setting returns the setting key as the go command would see it.
func setting(ctx context.Context, key string) (string, error) {
	if v := os.Getenv(key); v != "" {
		return v, nil
	}
	if v, ok := userEnvFile(key); ok {
		return v, nil
	}
	d, err := goDefaults(ctx)
	if err != nil {
		return "", err
	}
	return d[key], nil
}

// maxEnvFile bounds the user's env file; "go env -w" writes a few hundred
// bytes.
const maxEnvFile = 1 << 20

// userEnvFile looks key up in the user's go env file, parsed as
// parseEnvFile does.
func userEnvFile(key string) (string, bool) {
	file := os.Getenv("GOENV")
	if file == "off" {
		return "", false
	}
	if file == "" {
		dir, err := os.UserConfigDir()
		if err != nil || dir == "" {
			return "", false
		}
		file = filepath.Join(dir, "go", "env")
	}
	f, err := os.Open(file)
	if err != nil {
		return "", false
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxEnvFile+1))
	if err != nil || len(data) > maxEnvFile {
		return "", false
	}
	v, ok := parseEnvFile(data)[key]
	return v, ok
}

// A proxySpec is one GOPROXY entry.
type proxySpec struct {
	URL string // a base URL, "direct" or "off"
	// FallBackOnError is true when the entry was followed by '|': the next
	// entry is tried after any error, not only after 404 and 410.
	FallBackOnError bool
}

// parseGOPROXY splits GOPROXY as cmd/go/internal/modfetch.proxyList does:
// entries separated by ',' (fall back on 404/410 only) or '|' (fall back
// on any error), spaces trimmed, "direct" and "off" ending the list, and
// a bare host given https://.
func parseGOPROXY(goproxy string) ([]proxySpec, error) {
	var list []proxySpec
	for goproxy != "" {
		var u string
		fallBack := false
		if i := strings.IndexAny(goproxy, ",|"); i >= 0 {
			u, fallBack, goproxy = goproxy[:i], goproxy[i] == '|', goproxy[i+1:]
		} else {
			u, goproxy = goproxy, ""
		}
		u = strings.TrimSpace(u)
		if u == "" {
			continue
		}
		if u == "off" || u == "direct" {
			list = append(list, proxySpec{URL: u})
			break
		}
		// As in proxyList: single words are reserved, anything with ":/" or
		// an absolute path must be a complete URL, the rest is a host.
		if strings.ContainsAny(u, ".:/") && !strings.Contains(u, ":/") && !filepath.IsAbs(u) && !strings.HasPrefix(u, "/") {
			u = "https://" + u
		}
		list = append(list, proxySpec{URL: u, FallBackOnError: fallBack})
	}
	if len(list) == 0 {
		return nil, errors.New("GOPROXY list contains no entries")
	}
	return list, nil
}
