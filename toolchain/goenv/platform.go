package goenv

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// cgoPorts are the ports on which cgo is supported, from
// internal/platform's table (zosarch.go, CgoSupported: true) as of Go 1.26.
var cgoPorts = map[string]bool{
	"aix/ppc64": true, "android/386": true, "android/amd64": true, "android/arm": true,
	"android/arm64": true, "darwin/amd64": true, "darwin/arm64": true, "dragonfly/amd64": true,
	"freebsd/386": true, "freebsd/amd64": true, "freebsd/arm": true, "freebsd/arm64": true,
	"freebsd/riscv64": true, "illumos/amd64": true, "ios/amd64": true, "ios/arm64": true,
	"linux/386": true, "linux/amd64": true, "linux/arm": true, "linux/arm64": true,
	"linux/loong64": true, "linux/mips": true, "linux/mips64": true, "linux/mips64le": true,
	"linux/mipsle": true, "linux/ppc64le": true, "linux/riscv64": true, "linux/s390x": true,
	"linux/sparc64": true, "netbsd/386": true, "netbsd/amd64": true, "netbsd/arm": true,
	"netbsd/arm64": true, "openbsd/386": true, "openbsd/amd64": true, "openbsd/arm": true,
	"openbsd/arm64": true, "openbsd/mips64": true, "openbsd/riscv64": true, "solaris/amd64": true,
	"windows/386": true, "windows/amd64": true, "windows/arm64": true,
}

// defaultCC is the C compiler the go command uses when CC is unset
// (cmd/go/internal/cfg/zdefaultcc.go as cmd/dist writes it without CC_FOR_TARGET).
func defaultCC(goos string, cxx bool) string {
	switch goos {
	case "darwin", "ios", "freebsd", "openbsd":
		if cxx {
			return "clang++"
		}
		return "clang"
	}
	if cxx {
		return "g++"
	}
	return "gcc"
}

// environ is a process environment as a map, the last of duplicate
// entries winning as in os/exec.
type environ map[string]string

func parseEnviron(kvs []string) environ {
	e := make(environ, len(kvs))
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			continue
		}
		e[k] = v
	}
	return e
}

// userConfigDir is os.UserConfigDir computed for goos from e, so that the
// result describes the environment given to Resolve rather than this
// process's own.
func (e environ) userConfigDir(goos string) (string, error) {
	switch goos {
	case "windows":
		if d := e["AppData"]; d != "" {
			return d, nil
		}
		return "", errors.New("%AppData% is not defined")
	case "darwin", "ios":
		if h := e["HOME"]; h != "" {
			return h + "/Library/Application Support", nil
		}
		return "", errors.New("$HOME is not defined")
	case "plan9":
		if h := e["home"]; h != "" {
			return h + "/lib", nil
		}
		return "", errors.New("$home is not defined")
	}
	if d := e["XDG_CONFIG_HOME"]; d != "" {
		if !filepath.IsAbs(d) {
			return "", errors.New("path in $XDG_CONFIG_HOME is relative")
		}
		return d, nil
	}
	if h := e["HOME"]; h != "" {
		return h + "/.config", nil
	}
	return "", errors.New("neither $XDG_CONFIG_HOME nor $HOME are defined")
}

// userCacheDir is os.UserCacheDir computed for goos from e.
func (e environ) userCacheDir(goos string) (string, error) {
	switch goos {
	case "windows":
		if d := e["LocalAppData"]; d != "" {
			return d, nil
		}
		return "", errors.New("%LocalAppData% is not defined")
	case "darwin", "ios":
		if h := e["HOME"]; h != "" {
			return h + "/Library/Caches", nil
		}
		return "", errors.New("$HOME is not defined")
	case "plan9":
		if h := e["home"]; h != "" {
			return h + "/lib/cache", nil
		}
		return "", errors.New("$home is not defined")
	}
	if d := e["XDG_CACHE_HOME"]; d != "" {
		if !filepath.IsAbs(d) {
			return "", errors.New("path in $XDG_CACHE_HOME is relative")
		}
		return d, nil
	}
	if h := e["HOME"]; h != "" {
		return h + "/.cache", nil
	}
	return "", errors.New("neither $XDG_CACHE_HOME nor $HOME are defined")
}

// home is the variable go/build's defaultGOPATH reads.
func homeVar(goos string) string {
	switch goos {
	case "windows":
		return "USERPROFILE"
	case "plan9":
		return "home"
	}
	return "HOME"
}

// lookPath is exec.LookPath against the PATH of e rather than this
// process's. A name with a separator is checked as it is.
func (e environ) lookPath(file, goos string) (string, error) {
	if strings.ContainsRune(file, '/') || (goos == "windows" && strings.ContainsRune(file, '\\')) {
		if isExecutable(file, goos) {
			return file, nil
		}
		return "", &os.PathError{Op: "lookpath", Path: file, Err: fs.ErrNotExist}
	}
	pathVar := "PATH"
	if goos == "plan9" {
		pathVar = "path"
	}
	for _, dir := range filepath.SplitList(e[pathVar]) {
		if dir == "" || !filepath.IsAbs(dir) {
			continue // exec.LookPath refuses relative results (ErrDot); so does the go command
		}
		p := filepath.Join(dir, file)
		if goos == "windows" && !strings.Contains(strings.ToLower(file), ".") {
			p += ".exe"
		}
		if isExecutable(p, goos) {
			return p, nil
		}
	}
	return "", &os.PathError{Op: "lookpath", Path: file, Err: fs.ErrNotExist}
}

func isExecutable(p, goos string) bool {
	fi, err := os.Stat(p)
	if err != nil || fi.IsDir() {
		return false
	}
	return goos == "windows" || fi.Mode()&0o111 != 0
}
