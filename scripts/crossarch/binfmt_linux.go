package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

const binfmtDir = "/proc/sys/fs/binfmt_misc"

// binfmtName is the handler this program registers; a distinct name
// never collides with a distribution's qemu-aarch64 entry.
const binfmtName = "nativego-crossarch-aarch64"

// aarch64Magic and aarch64Mask match a little-endian 64-bit ELF
// executable or shared object (e_type 2 or 3) for EM_AARCH64 (0xb7): the
// first 20 bytes of the ELF header, as qemu's qemu-binfmt-conf.sh
// registers them.
const (
	aarch64Magic = `\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00`
	aarch64Mask  = `\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff`
)

// ensureBinfmt makes arm64 executables run through qemu: it mounts
// binfmt_misc if needed and registers a handler unless an enabled one
// for arm64 exists. The returned cleanup undoes exactly what was done.
func ensureBinfmt(qemu string) (cleanup func() error, how string, err error) {
	var undo []func() error
	cleanup = func() error {
		var errs []error
		for i := len(undo) - 1; i >= 0; i-- {
			errs = append(errs, undo[i]())
		}
		return errors.Join(errs...)
	}
	if _, err := os.Stat(filepath.Join(binfmtDir, "register")); err != nil {
		if err := unix.Mount("binfmt_misc", binfmtDir, "binfmt_misc", 0, ""); err != nil {
			return nil, "", fmt.Errorf("mount binfmt_misc: %w", err)
		}
		undo = append(undo, func() error { return unix.Unmount(binfmtDir, 0) })
		how = "mounted binfmt_misc; "
	}
	if existing := arm64Handler(); existing != "" {
		return cleanup, how + "using the registered handler " + existing, nil
	}
	line := fmt.Sprintf(":%s:M::%s:%s:%s:F", binfmtName, aarch64Magic, aarch64Mask, qemu)
	if err := os.WriteFile(filepath.Join(binfmtDir, "register"), []byte(line), 0); err != nil {
		cleanup()
		return nil, "", fmt.Errorf("register a qemu-aarch64 handler: %w", err)
	}
	undo = append(undo, func() error {
		return os.WriteFile(filepath.Join(binfmtDir, binfmtName), []byte("-1"), 0)
	})
	return cleanup, how + "registered " + binfmtName + " -> " + qemu + " (removed afterwards)", nil
}

// arm64Handler names an enabled binfmt_misc entry that already runs
// arm64 ELF files, if any, as archcheck.DetectHost sees it.
func arm64Handler() string {
	ents, err := os.ReadDir(binfmtDir)
	if err != nil {
		return ""
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(binfmtDir, e.Name()))
		if err != nil {
			continue
		}
		s := string(b)
		if len(s) > 7 && s[:7] == "enabled" && strings.Contains(s, "magic 7f454c460201010000000000000000000200b700") {
			return e.Name()
		}
	}
	return ""
}
