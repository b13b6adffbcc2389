package modaudit

import (
	"fmt"
	"io/fs"
	"path/filepath"
)

// dirFiles lists the files of the tree dir as
// golang.org/x/mod/sumdb/dirhash.DirFiles does: every entry that is not a
// directory (so symbolic links too, which are then opened and followed),
// named prefix/relative/path with forward slashes. DirFiles walks with
// filepath.Walk, which calls lstat(2) on every file; filepath.WalkDir
// reads the file types from the directory listing instead, saving a
// system call per file, tens of thousands over a module cache. The
// tests check the two give the same hash on real trees.
func dirFiles(dir, prefix string) ([]string, error) {
	var files []string
	dir = filepath.Clean(dir)
	err := filepath.WalkDir(dir, func(file string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		} else if file == dir {
			return fmt.Errorf("%s is not a directory", dir)
		}
		rel := file
		if dir != "." {
			rel = file[len(dir)+1:]
		}
		files = append(files, filepath.ToSlash(filepath.Join(prefix, rel)))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return files, nil
}
