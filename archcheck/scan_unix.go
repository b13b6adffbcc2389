//go:build linux || darwin

package archcheck

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"syscall"
)

// A rawFile is a file opened by a scan: a bare descriptor, read with
// pread, so that the common case (open, fstat, one read, close) costs four
// system calls and no allocation beyond the path.
type rawFile struct {
	name string
	mu   sync.RWMutex // guards fd against Close while a slice reader reads
	fd   int          // -1 once closed
}

// openFlags never block and never follow a link the walker did not mean
// to follow: O_NONBLOCK makes opening a named pipe that replaced a
// regular file since the walk return at once instead of waiting for a
// writer, and fstat then rejects it.
const openFlags = syscall.O_RDONLY | syscall.O_NONBLOCK | syscall.O_CLOEXEC

// openRegular opens name for reading if it is a regular file, and
// returns its size. follow allows name itself to be a symbolic link.
func openRegular(name string, follow bool) (*rawFile, int64, error) {
	flags := openFlags
	if !follow {
		flags |= syscall.O_NOFOLLOW
	}
	fd, err := openRetry(name, flags)
	if err != nil {
		if err == syscall.ELOOP && !follow {
			// The walker saw a regular file; a symbolic link is there now.
			return nil, 0, fmt.Errorf("%s: %w (replaced by a symbolic link during the scan)", name, ErrNotRegular)
		}
		return nil, 0, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	var st syscall.Stat_t
	if err := fstatRetry(fd, &st); err != nil {
		syscall.Close(fd)
		return nil, 0, &fs.PathError{Op: "fstat", Path: name, Err: err}
	}
	if mode := uint32(st.Mode) & syscall.S_IFMT; mode != syscall.S_IFREG {
		syscall.Close(fd)
		return nil, 0, fmt.Errorf("%s: %w (%s)", name, ErrNotRegular, typeName(unixFileMode(mode)))
	}
	return &rawFile{name: name, fd: fd}, st.Size, nil
}

func openRetry(name string, flags int) (int, error) {
	for {
		fd, err := syscall.Open(name, flags, 0)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}

func fstatRetry(fd int, st *syscall.Stat_t) error {
	for {
		err := syscall.Fstat(fd, st)
		if err != syscall.EINTR {
			return err
		}
	}
}

// unixFileMode maps an S_IFMT value to the fs.FileMode type bits.
func unixFileMode(m uint32) fs.FileMode {
	switch m {
	case syscall.S_IFIFO:
		return fs.ModeNamedPipe
	case syscall.S_IFSOCK:
		return fs.ModeSocket
	case syscall.S_IFCHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case syscall.S_IFBLK:
		return fs.ModeDevice
	case syscall.S_IFDIR:
		return fs.ModeDir
	case syscall.S_IFLNK:
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
		m, err := syscall.Pread(f.fd, b[n:], off+int64(n))
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return n, &fs.PathError{Op: "read", Path: f.name, Err: err}
		}
		if m == 0 {
			return n, io.EOF
		}
		n += m
	}
	return n, nil
}

// Close closes the descriptor; later reads return os.ErrClosed rather
// than reading whatever file reuses the descriptor number.
func (f *rawFile) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fd < 0 {
		return os.ErrClosed
	}
	err := syscall.Close(f.fd)
	f.fd = -1
	return err
}

// readDir lists a directory without blocking: O_DIRECTORY makes the open
// fail on anything else, such as a named pipe swapped in since the walk.
func readDir(name string, follow bool) ([]fs.DirEntry, fs.FileInfo, error) {
	flags := openFlags | syscall.O_DIRECTORY
	if !follow {
		flags |= syscall.O_NOFOLLOW
	}
	fd, err := openRetry(name, flags)
	if err != nil {
		return nil, nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	// Back to blocking mode before os.NewFile: it would otherwise register
	// the descriptor with the runtime's poller, which is of no use for a
	// directory and costs the poller's own descriptors on first use.
	if err := syscall.SetNonblock(fd, false); err != nil {
		syscall.Close(fd)
		return nil, nil, &fs.PathError{Op: "fcntl", Path: name, Err: err}
	}
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	entries, err := f.ReadDir(-1)
	return entries, info, err
}

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
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur == 0 {
		return 32
	}
	return int(min(max(rl.Cur/2, 1), 256))
}
