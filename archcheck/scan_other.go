//go:build !linux && !darwin

package archcheck

import (
	"fmt"
	"io/fs"
	"os"
)

// A rawFile is a file opened by a scan. Outside Linux and macOS it is an
// *os.File: Windows has no named pipes in the file system namespace that
// a directory walk would meet, and the other systems are not tuned.
type rawFile = os.File

// openRegular opens name for reading if it is a regular file, and
// returns its size. follow is ignored: the walker only hands over
// symbolic links it means to follow, and os.Open cannot refuse one.
func openRegular(name string, follow bool) (*rawFile, int64, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, 0, fmt.Errorf("%s: %w (%s)", name, ErrNotRegular, typeName(fi.Mode().Type()))
	}
	return f, fi.Size(), nil
}

// readDir lists a directory.
func readDir(name string, follow bool) ([]fs.DirEntry, fs.FileInfo, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if !info.IsDir() {
		return nil, nil, fmt.Errorf("%s: %w (%s)", name, ErrNotRegular, typeName(info.Mode().Type()))
	}
	entries, err := f.ReadDir(-1)
	return entries, info, err
}

// deviceOf reports no device numbers: OneFilesystem has no effect here.
func deviceOf(fs.FileInfo) (uint64, bool) { return 0, false }

// defaultMaxOpenFiles is a fixed budget: Windows has no small per-process
// handle limit comparable to RLIMIT_NOFILE.
func defaultMaxOpenFiles() int { return 256 }
