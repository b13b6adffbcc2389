//go:build !linux && !darwin

package archcheck

import (
	"fmt"
	"io"
	"io/fs"
	"os"
)

// A rawFile is a file opened by a scan. Outside Linux and macOS it is an
// *os.File opened by path: Windows has no named pipes in the file system
// namespace that a directory walk would meet, and the other systems are
// not tuned.
type rawFile struct {
	*os.File
	job job
}

// open opens the job's file by path. follow is ignored: the walker
// only hands over symbolic links it means to follow, and os.Open cannot
// refuse one.
func (j job) open() (*rawFile, error) {
	f, err := os.Open(j.path())
	if err != nil {
		return nil, err
	}
	return &rawFile{File: f, job: j}, nil
}

// regularSize returns the file's size, or an error wrapping ErrNotRegular
// when it is not a regular file.
func (f *rawFile) regularSize() (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("%s: %w (%s)", f.job.path(), ErrNotRegular, typeName(fi.Mode().Type()))
	}
	return fi.Size(), nil
}

// sniff reads the start of the file into b with a single read.
func (f *rawFile) sniff(b []byte) (int, error) {
	n, err := f.Read(b)
	if err == io.EOF {
		err = nil
	}
	return n, err
}

// openDir lists a directory. It never keeps the directory open (fd is
// always -1): its files are opened by path.
func openDir(name string, follow, wantInfo bool, buf *[]byte) (fd int, entries []dirEntry, info fs.FileInfo, err error) {
	d, err := os.Open(name)
	if err != nil {
		return -1, nil, nil, err
	}
	defer d.Close()
	info, err = d.Stat()
	if err != nil {
		return -1, nil, nil, err
	}
	if !info.IsDir() {
		return -1, nil, nil, fmt.Errorf("%s: %w (%s)", name, ErrNotRegular, typeName(info.Mode().Type()))
	}
	list, err := d.ReadDir(-1)
	return -1, dirEntriesOf(list), info, err
}

// closeDir is never called: openDir keeps no directory open.
func closeDir(fd int) {}

// deviceOf reports no device numbers: OneFilesystem has no effect here.
func deviceOf(fs.FileInfo) (uint64, bool) { return 0, false }

// defaultMaxOpenFiles is a fixed budget: Windows has no small per-process
// handle limit comparable to RLIMIT_NOFILE.
func defaultMaxOpenFiles() int { return 256 }
