package archcheck

import (
	"encoding/binary"
	"fmt"
	"io/fs"

	"golang.org/x/sys/unix"
)

// Directory entries are read with getdents64 and decoded here, rather
// than through an os.File: os.NewFile costs an fcntl per directory, and
// os.DirEntry two allocations per name, which over a tree of a hundred
// thousand files is a measurable part of a scan.

// direntBufSize holds the entries of almost every directory in one call.
const direntBufSize = 32 << 10

// linux_dirent64 (getdents64(2)): d_ino uint64, d_off int64,
// d_reclen uint16, d_type uint8, then the NUL-terminated name. The
// layout is the same on every architecture, in native byte order.
const (
	direntReclenOff = 16
	direntTypeOff   = 18
	direntNameOff   = 19
)

// readDirEntries lists the open directory fd, whose path is name. buf is
// the walker's buffer, allocated on first use. Entries read before an
// error are returned with it.
func readDirEntries(fd int, name string, buf *[]byte) ([]dirEntry, error) {
	if *buf == nil {
		*buf = make([]byte, direntBufSize)
	}
	var entries []dirEntry
	for {
		n, err := unix.Getdents(fd, *buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return entries, &fs.PathError{Op: "getdents", Path: name, Err: err}
		}
		if n <= 0 {
			return entries, nil
		}
		entries, err = appendDirents(entries, (*buf)[:n], fd, name)
		if err != nil {
			return entries, err
		}
	}
}

// appendDirents decodes the records in b. A name whose type the file
// system does not record (DT_UNKNOWN) is looked up with fstatat.
func appendDirents(entries []dirEntry, b []byte, fd int, dir string) ([]dirEntry, error) {
	for len(b) > 0 {
		if len(b) < direntNameOff+1 {
			return entries, fmt.Errorf("%s: getdents returned a truncated record", dir)
		}
		reclen := int(binary.NativeEndian.Uint16(b[direntReclenOff:]))
		if reclen < direntNameOff+1 || reclen > len(b) {
			return entries, fmt.Errorf("%s: getdents returned a record of %d bytes", dir, reclen)
		}
		rec := b[:reclen]
		b = b[reclen:]
		nameBytes := rec[direntNameOff:]
		for i, c := range nameBytes {
			if c == 0 {
				nameBytes = nameBytes[:i]
				break
			}
		}
		if len(nameBytes) == 0 || string(nameBytes) == "." || string(nameBytes) == ".." {
			continue
		}
		name := string(nameBytes)
		typ, err := direntType(rec[direntTypeOff], fd, name)
		if err == unix.ENOENT {
			continue // gone since the listing: nothing left to report
		}
		// Any other error leaves the entry to be opened as a file, which
		// reports the real problem for its own path.
		entries = append(entries, dirEntry{name: name, typ: typ})
	}
	return entries, nil
}

// direntType maps d_type to fs.FileMode type bits.
func direntType(t uint8, dirfd int, name string) (fs.FileMode, error) {
	switch t {
	case unix.DT_REG:
		return 0, nil
	case unix.DT_DIR:
		return fs.ModeDir, nil
	case unix.DT_LNK:
		return fs.ModeSymlink, nil
	case unix.DT_FIFO:
		return fs.ModeNamedPipe, nil
	case unix.DT_SOCK:
		return fs.ModeSocket, nil
	case unix.DT_CHR:
		return fs.ModeDevice | fs.ModeCharDevice, nil
	case unix.DT_BLK:
		return fs.ModeDevice, nil
	}
	var st unix.Stat_t
	for {
		err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
		if err == nil {
			break
		}
		if err != unix.EINTR {
			return 0, err
		}
	}
	m := uint32(st.Mode) & unix.S_IFMT
	if m == unix.S_IFREG {
		return 0, nil
	}
	return unixFileMode(m), nil
}
