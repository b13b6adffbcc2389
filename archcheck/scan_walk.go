package archcheck

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// bundleExts are the directory extensions of Apple bundles whose
// executables a scan attributes to the bundle (Bundle Programming Guide:
// applications, frameworks, app extensions, XPC services, loadable
// bundles and plug-ins, kernel extensions).
var bundleExts = []string{".app", ".framework", ".appex", ".xpc", ".bundle", ".plugin", ".kext"}

func isBundle(name string) bool {
	ext := filepath.Ext(name)
	for _, e := range bundleExts {
		if strings.EqualFold(ext, e) {
			return true
		}
	}
	return false
}

// A walker is the scan's single directory reader. It holds at most one
// descriptor at a time (the directory it is reading), and never while
// waiting to hand a file to the workers, so it cannot deadlock with them
// over the descriptor budget.
type walker struct {
	s       *scanner
	rootDev uint64
	hasDev  bool
	dirBuf  []byte // for reading directory entries, where the platform reads them raw
}

// A dirEntry is one name in a directory listing and its file type (the
// fs.ModeType bits), as the directory itself records it.
type dirEntry struct {
	name string
	typ  fs.FileMode
}

// dirEntriesOf converts the os package's listing.
func dirEntriesOf(list []fs.DirEntry) []dirEntry {
	entries := make([]dirEntry, len(list))
	for i, e := range list {
		entries[i] = dirEntry{name: e.Name(), typ: e.Type()}
	}
	return entries
}

// A dirFrame is one directory on the path being walked.
type dirFrame struct {
	path, rel     string
	info          fs.FileInfo // to detect links back to it
	bundle, outer string
}

func (w *walker) walkRoot(root string) {
	fi, err := os.Stat(root) // roots are followed, like find's arguments
	if err != nil {
		w.s.sendErr(root, "", "", err)
		return
	}
	switch {
	case fi.Mode().IsRegular():
		w.s.sendJobs([]job{{name: root, follow: true}})
	case fi.IsDir():
		w.rootDev, w.hasDev = deviceOf(fi)
		top := dirFrame{path: root, info: fi}
		if isBundle(filepath.Base(root)) {
			top.bundle, top.outer = root, root
		}
		w.walkDir(top, nil, true)
	default:
		w.s.sendErr(root, "", "", fmt.Errorf("%s: %w (%s)", root, ErrNotRegular, fi.Mode().Type()))
	}
}

// skipped reports whether a Skip pattern matches the entry.
func (w *walker) skipped(name, rel string) bool {
	for _, p := range w.s.opts.Skip {
		target := name
		if strings.Contains(p, "/") {
			target = rel
		}
		if ok, _ := path.Match(p, target); ok {
			return true
		}
	}
	return false
}

// walkDir walks the directory d and everything below it, depth first.
// stack holds the directories above d; follow says d was reached through
// a symbolic link.
func (w *walker) walkDir(d dirFrame, stack []dirFrame, follow bool) {
	subdirs, links, ok := w.listDir(&d, follow)
	if !ok {
		return
	}
	stack = append(stack, d)
	for _, c := range subdirs {
		if w.s.ctx.Err() != nil {
			return
		}
		w.enter(c, stack, false)
	}
	for _, c := range links {
		if w.s.ctx.Err() != nil {
			return
		}
		w.followLink(c, stack)
	}
}

// listDir reads the directory d, hands its files to the workers, reports
// its special files, and returns its subdirectories and the symbolic
// links to follow. ok is false when there is nothing below d to walk.
//
// The directory's descriptor stays open, when the budget allows (see
// scanner.keepDir), until the workers have opened its files relative to
// it: a lookup of one name instead of the whole path, for every file. The
// walker itself holds no descriptor once listDir returns, so it never
// holds one while it walks below d or waits on the workers.
func (w *walker) listDir(d *dirFrame, follow bool) (subdirs, links []dirFrame, ok bool) {
	s := w.s
	if !s.acquireDir() {
		return nil, nil, false
	}
	fd, entries, info, err := openDir(d.path, follow, s.opts.FollowSymlinks || s.opts.OneFilesystem, &w.dirBuf)
	h := &dirHandle{s: s, path: d.path, fd: -1}
	h.refs.Store(1) // the walker's own, dropped once every file is handed over
	switch {
	case fd < 0:
		s.releaseDir()
	case s.keepDir():
		h.fd = fd
	default:
		closeDir(fd)
		s.releaseDir()
	}
	defer h.done()
	if info != nil {
		d.info = info
		if dev, ok := deviceOf(info); ok && w.hasDev && s.opts.OneFilesystem && dev != w.rootDev {
			return nil, nil, false
		}
	}
	if err != nil {
		s.sendErr(d.path, d.bundle, d.outer, err)
		if entries == nil {
			return nil, nil, false
		}
	}
	// Files go to the workers in batches: one channel operation per
	// batch instead of per file.
	var batch []job
	flush := func() {
		if len(batch) > 0 {
			s.sendJobs(batch)
			batch = nil
		}
	}
	defer flush()
	for _, e := range entries {
		if s.ctx.Err() != nil {
			return nil, nil, false
		}
		name := e.name
		rel := name
		if d.rel != "" {
			rel = d.rel + "/" + name
		}
		if w.skipped(name, rel) {
			continue
		}
		t := e.typ
		switch {
		case t.IsDir():
			subdirs = append(subdirs, dirFrame{path: filepath.Join(d.path, name), rel: rel, bundle: d.bundle, outer: d.outer})
		case t.IsRegular():
			h.refs.Add(1)
			batch = append(batch, job{dir: h, name: name, bundle: d.bundle, outer: d.outer})
			if len(batch) == jobBatch {
				flush()
			}
		case t&fs.ModeSymlink != 0:
			if s.opts.FollowSymlinks {
				links = append(links, dirFrame{path: filepath.Join(d.path, name), rel: rel, bundle: d.bundle, outer: d.outer})
			}
		default:
			p := filepath.Join(d.path, name)
			s.sendErr(p, d.bundle, d.outer, fmt.Errorf("%s: %w (%s)", p, ErrNotRegular, typeName(t)))
		}
	}
	return subdirs, links, true
}

// enter walks a subdirectory, noting the bundle it opens.
func (w *walker) enter(d dirFrame, stack []dirFrame, follow bool) {
	if isBundle(filepath.Base(d.path)) {
		d.bundle = d.path
		if d.outer == "" {
			d.outer = d.path
		}
	}
	w.walkDir(d, stack, follow)
}

// followLink resolves a symbolic link found below a root.
func (w *walker) followLink(d dirFrame, stack []dirFrame) {
	fi, err := os.Stat(d.path)
	if err != nil {
		w.s.sendErr(d.path, d.bundle, d.outer, err)
		return
	}
	switch {
	case fi.Mode().IsRegular():
		w.s.sendJobs([]job{{name: d.path, follow: true, bundle: d.bundle, outer: d.outer}})
	case fi.IsDir():
		for _, a := range stack {
			if a.info != nil && os.SameFile(a.info, fi) {
				w.s.sendErr(d.path, d.bundle, d.outer, fmt.Errorf("%s: %w back to %s", d.path, ErrSymlinkLoop, a.path))
				return
			}
		}
		d.info = fi
		w.enter(d, stack, true)
	default:
		w.s.sendErr(d.path, d.bundle, d.outer, fmt.Errorf("%s: %w (links to a %s)", d.path, ErrNotRegular, typeName(fi.Mode().Type())))
	}
}

// typeName names a non-regular file type for a message.
func typeName(t fs.FileMode) string {
	switch {
	case t&fs.ModeNamedPipe != 0:
		return "named pipe"
	case t&fs.ModeSocket != 0:
		return "socket"
	case t&fs.ModeCharDevice != 0:
		return "character device"
	case t&fs.ModeDevice != 0:
		return "block device"
	}
	return "irregular file"
}

// jobBatch is the most files handed to a worker at once: large enough to
// make the channel's cost per file negligible, small enough that a
// directory of thousands of files is still shared among the workers.
const jobBatch = 64

// sendJobs hands files to the workers, or drops them when the scan is
// cancelled.
func (s *scanner) sendJobs(j []job) {
	select {
	case s.jobs <- j:
	case <-s.ctx.Done():
		for _, j := range j {
			j.dir.done()
		}
	}
}
