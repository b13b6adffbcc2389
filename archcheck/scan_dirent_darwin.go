package archcheck

import (
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// readDirEntries lists the open directory fd through the os package, on
// a duplicate of the descriptor: the os.File that reads it owns and
// closes the duplicate, and fd stays open for the files to be opened
// relative to it. buf is unused.
func readDirEntries(fd int, name string, buf *[]byte) ([]dirEntry, error) {
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "dup", Path: name, Err: err}
	}
	f := os.NewFile(uintptr(dup), name)
	defer f.Close()
	list, err := f.ReadDir(-1)
	return dirEntriesOf(list), err
}
