//go:build linux || darwin

package archcheck

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// A rawFile is a file opened by a scan: a bare descriptor, read with
// pread, so that the common case (open, one read, close) costs three
// system calls and no allocation.
type rawFile struct {
	job job          // names the file in errors
	mu  sync.RWMutex // guards fd against Close while a slice reader reads
	fd  int          // -1 once closed
}

// openFlags never block and never follow a link the walker did not mean
// to follow: O_NONBLOCK makes opening a named pipe that replaced a
// regular file since the walk return at once instead of waiting for a
// writer; the read then fails, and regularSize says why.
const openFlags = unix.O_RDONLY | unix.O_NONBLOCK | unix.O_CLOEXEC

// openat returns openat's arguments for the job's file: relative to its
// directory's descriptor when the walker kept one, else by path. Only a
// followed link may be a symbolic link.
func (j job) openat() (dirfd int, name string, flags int) {
	flags = openFlags
	if !j.follow {
		flags |= unix.O_NOFOLLOW
	}
	dirfd, name = unix.AT_FDCWD, j.name
	if j.dir != nil {
		if j.dir.fd >= 0 {
			dirfd = j.dir.fd
		} else {
			name = j.path()
		}
	}
	return dirfd, name, flags
}

// open opens the job's file for reading.
func (j job) open() (*rawFile, error) {
	fd, err := openRetry(j.openat())
	if err != nil {
		if err == unix.ELOOP && !j.follow {
			// The walker saw a regular file; a symbolic link is there now.
			return nil, fmt.Errorf("%s: %w (replaced by a symbolic link during the scan)", j.path(), ErrNotRegular)
		}
		return nil, &fs.PathError{Op: "open", Path: j.path(), Err: err}
	}
	return &rawFile{job: j, fd: fd}, nil
}

func openRetry(dirfd int, name string, flags int) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, name, flags, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// regularSize returns the file's size, or an error wrapping ErrNotRegular
// when it is not a regular file.
func (f *rawFile) regularSize() (int64, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.fd < 0 {
		return 0, os.ErrClosed
	}
	var st unix.Stat_t
	for {
		err := unix.Fstat(f.fd, &st)
		if err == nil {
			break
		}
		if err != unix.EINTR {
			return 0, &fs.PathError{Op: "fstat", Path: f.job.path(), Err: err}
		}
	}
	if mode := uint32(st.Mode) & unix.S_IFMT; mode != unix.S_IFREG {
		return 0, fmt.Errorf("%s: %w (%s)", f.job.path(), ErrNotRegular, typeName(unixFileMode(mode)))
	}
	return st.Size, nil
}

// unixFileMode maps an S_IFMT value to the fs.FileMode type bits.
func unixFileMode(m uint32) fs.FileMode {
	switch m {
	case unix.S_IFIFO:
		return fs.ModeNamedPipe
	case unix.S_IFSOCK:
		return fs.ModeSocket
	case unix.S_IFCHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		return fs.ModeDevice
	case unix.S_IFDIR:
		return fs.ModeDir
	case unix.S_IFLNK:
		return fs.ModeSymlink
	}
	return fs.ModeIrregular
}

// ReadAt implements io.ReaderAt with pread.
func (f *rawFile) ReadAt(b []byte, off int64) (int, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.fd < 0 {
		return 0, os.ErrClosed
	}
	n := 0
	for n < len(b) {
		m, err := unix.Pread(f.fd, b[n:], off+int64(n))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, &fs.PathError{Op: "read", Path: f.job.path(), Err: err}
		}
		if m == 0 {
			return n, io.EOF
		}
		n += m
	}
	return n, nil
}

// sniff reads the start of the file into b with a single pread: a
// regular file's read comes back short only at its end, so the loop in
// ReadAt would cost every file smaller than b a second system call to
// learn what the first already said.
func (f *rawFile) sniff(b []byte) (int, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	for {
		n, err := unix.Pread(f.fd, b, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, &fs.PathError{Op: "read", Path: f.job.path(), Err: err}
		}
		return n, nil
	}
}

// Close closes the descriptor; later reads return os.ErrClosed rather
// than reading whatever file reuses the descriptor number.
func (f *rawFile) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fd < 0 {
		return os.ErrClosed
	}
	err := unix.Close(f.fd)
	f.fd = -1
	return err
}

// openDir opens and lists a directory, which stays open for its files
// to be opened relative to it: fd is its descriptor, -1 when it could not
// be opened. info is read only when wantInfo. buf is the walker's buffer
// for reading entries, where the platform reads them raw.
//
// O_DIRECTORY keeps the open from blocking: Linux and XNU refuse anything
// but a directory (ENOTDIR) before they would call a named pipe's or a
// device's open routine.
func openDir(name string, follow, wantInfo bool, buf *[]byte) (fd int, entries []dirEntry, info fs.FileInfo, err error) {
	flags := unix.O_RDONLY | unix.O_CLOEXEC | unix.O_DIRECTORY
	if !follow {
		flags |= unix.O_NOFOLLOW
	}
	fd, err = openRetry(unix.AT_FDCWD, name, flags)
	if err != nil {
		return -1, nil, nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	if wantInfo {
		// By path: the directory just opened is what the path names,
		// unless it was swapped since, which only costs a loop check.
		if info, err = os.Stat(name); err != nil {
			unix.Close(fd)
			return -1, nil, nil, err
		}
	}
	entries, err = readDirEntries(fd, name, buf)
	return fd, entries, info, err
}

// closeDir closes a directory opened by openDir.
func closeDir(fd int) { unix.Close(fd) }

// deviceOf returns the device number of the file system holding fi.
func deviceOf(fi fs.FileInfo) (uint64, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return uint64(st.Dev), true
}

// defaultMaxOpenFiles is half the soft descriptor limit, between 1 and
// 256: the other half is left to the program running the scan (its
// standard streams, network connections, the Go runtime's own descriptors).
func defaultMaxOpenFiles() int {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil || rl.Cur == 0 {
		return 32
	}
	return int(min(max(rl.Cur/2, 1), 256))
}
