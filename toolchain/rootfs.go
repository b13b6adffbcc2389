package toolchain

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

// A rootFS reads the filesystem as seen from inside a root directory, the
// way chroot would: every absolute path, including the target of an
// absolute symbolic link, is taken relative to dir. Paths handed to and
// returned by its methods are slash-separated and absolute inside the
// root ("/usr/local/go"); only the os calls see the joined host path.
//
// This is what lets tests build a whole machine (/usr/local, /opt/homebrew,
// a home directory) in a temporary directory with real symbolic links in
// it, and what lets the CLI inspect a mounted disk image.
type rootFS struct {
	dir string // host directory of "/"; "" or "/" for the real root

	// dirs memoizes resolved directories: Discover opens a dozen files
	// in each tree, and resolving every component of every path again
	// was 40% of a scan.
	dirs map[string]string
}

func newRootFS(dir string) rootFS { return rootFS{dir: dir, dirs: make(map[string]string)} }

// host returns the host path of p, an absolute path inside the root.
func (r rootFS) host(p string) string {
	if r.isReal() {
		return filepath.FromSlash(p)
	}
	return filepath.Join(r.dir, filepath.FromSlash(p))
}

func (r rootFS) isReal() bool { return r.dir == "" || r.dir == "/" }

// inside returns the host path of p with its symbolic links resolved
// inside the root, so that an absolute link target does not escape to
// the host's own files. On the real root the kernel resolves links.
func (r rootFS) inside(p string) string {
	if r.isReal() {
		return filepath.FromSlash(p)
	}
	if rp, err := r.resolveFile(p); err == nil {
		p = rp
	}
	return r.host(p)
}

// resolveFile is resolve with the parent directory memoized: only the
// last element is examined afresh.
func (r rootFS) resolveFile(p string) (string, error) {
	p = path.Clean(p)
	if p == "/" || r.dirs == nil {
		return r.resolve(p)
	}
	dir, ok := r.dirs[path.Dir(p)]
	if !ok {
		var err error
		dir, err = r.resolve(path.Dir(p))
		if err != nil {
			return "", err
		}
		r.dirs[path.Dir(p)] = dir
	}
	full := path.Join(dir, path.Base(p))
	fi, err := r.lstat(full)
	if err != nil {
		return "", err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return r.resolve(full)
	}
	return full, nil
}

func (r rootFS) stat(p string) (fs.FileInfo, error)  { return os.Stat(r.inside(p)) }
func (r rootFS) lstat(p string) (fs.FileInfo, error) { return os.Lstat(r.host(p)) }
func (r rootFS) open(p string) (*os.File, error)     { return os.Open(r.inside(p)) }

// exists reports whether p names something (following links).
func (r rootFS) exists(p string) bool {
	_, err := r.stat(p)
	return err == nil
}

// isFile reports whether p names a regular file (following links).
func (r rootFS) isFile(p string) bool {
	fi, err := r.stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// maxSmallFile bounds the text files Discover reads whole: VERSION (two
// short lines), go.env (under 1 KiB in every release), the user's go/env
// file and /etc/paths.d entries. A larger file is not one of those.
const maxSmallFile = 64 << 10

// errTooLarge reports a small file that is not small.
var errTooLarge = errors.New("file too large")

// readSmall reads a text file of at most maxSmallFile bytes.
func (r rootFS) readSmall(p string) ([]byte, error) {
	f, err := r.open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSmallFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxSmallFile {
		return nil, &fs.PathError{Op: "read", Path: p, Err: errTooLarge}
	}
	return b, nil
}

// maxListing bounds how many entries one directory listing may return.
// The only listing that can be large is /nix/store (tens of thousands of
// entries on a busy machine); 1<<16 keeps even that to a few megabytes.
const maxListing = 1 << 16

// readDirNames lists a directory's entry names, up to maxListing of them,
// in directory order. A missing directory is not an error: most of the
// places Discover looks do not exist on a given machine.
func (r rootFS) readDirNames(p string) ([]string, error) {
	f, err := r.open(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			return nil, nil
		}
		return nil, err
	}
	defer f.Close()
	var names []string
	for len(names) < maxListing {
		batch, err := f.Readdirnames(min(1024, maxListing-len(names)))
		names = append(names, batch...)
		if err == io.EOF {
			break
		}
		if err != nil {
			if len(names) > 0 {
				break // keep what was read; a listing error mid-way is rare and not fatal
			}
			if errors.Is(err, fs.ErrNotExist) || isNotDir(err) {
				return nil, nil
			}
			return nil, err
		}
	}
	return names, nil
}

func isNotDir(err error) bool { return errors.Is(err, syscall.ENOTDIR) }

// maxLinks bounds how many symbolic links resolve follows, as the kernel
// does (Linux MAXSYMLINKS is 40; macOS MAXSYMLINKS is 32).
const maxLinks = 40

// errLinkLoop reports a chain of more than maxLinks symbolic links.
var errLinkLoop = errors.New("too many levels of symbolic links")

// resolve returns p with every symbolic link in it resolved inside the
// root, as filepath.EvalSymlinks would inside a chroot: an absolute link
// target restarts from the root, ".." never climbs above it. The result is
// clean and absolute; the path must exist.
func (r rootFS) resolve(p string) (string, error) {
	if !path.IsAbs(p) {
		return "", &fs.PathError{Op: "resolve", Path: p, Err: fs.ErrInvalid}
	}
	done := "/"               // resolved prefix
	todo := path.Clean(p)[1:] // components still to walk
	links := 0
	for todo != "" {
		var comp string
		comp, todo, _ = strings.Cut(todo, "/")
		switch comp {
		case "", ".":
			continue
		case "..":
			done = path.Dir(done)
			continue
		}
		next := path.Join(done, comp)
		fi, err := r.lstat(next)
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			done = next
			continue
		}
		links++
		if links > maxLinks {
			return "", &fs.PathError{Op: "resolve", Path: p, Err: errLinkLoop}
		}
		target, err := os.Readlink(r.host(next))
		if err != nil {
			return "", err
		}
		target = filepath.ToSlash(target)
		if path.IsAbs(target) {
			done = "/"
			target = target[1:]
		}
		if todo != "" {
			todo = target + "/" + todo
		} else {
			todo = target
		}
	}
	return done, nil
}
