package archcheck

import (
	"encoding/binary"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// direntRecord encodes one linux_dirent64 record, padded to 8 bytes as
// the kernel pads them.
func direntRecord(ino uint64, typ uint8, name string) []byte {
	n := (direntNameOff + len(name) + 1 + 7) &^ 7
	b := make([]byte, n)
	binary.NativeEndian.PutUint64(b, ino)
	binary.NativeEndian.PutUint16(b[direntReclenOff:], uint16(n))
	b[direntTypeOff] = typ
	copy(b[direntNameOff:], name)
	return b
}

// plantDirentTree makes a directory holding one file of each type the
// walker tells apart.
func plantDirentTree(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "file"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("file", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// openDirFD opens dir for the test's duration.
func openDirFD(t testing.TB, dir string) int {
	t.Helper()
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

// TestReadDirEntries lists a real directory with getdents and compares
// names and types with os.ReadDir's.
func TestReadDirEntries(t *testing.T) {
	dir := plantDirentTree(t)
	for i := range 2000 { // more than one getdents buffer
		if err := os.WriteFile(filepath.Join(dir, "f"+strings.Repeat("x", i%50)+strconv.Itoa(i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fd := openDirFD(t, dir)
	var buf []byte
	got, err := readDirEntries(fd, dir, &buf)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, func(a, b dirEntry) int { return strings.Compare(a.name, b.name) })
	if diff := cmp.Diff(dirEntriesOf(want), got, cmp.AllowUnexported(dirEntry{})); diff != "" {
		t.Errorf("entries (-os.ReadDir +readDirEntries):\n%s", diff)
	}
}

// TestDirentsUnknownType feeds records whose type is DT_UNKNOWN, as
// some file systems return them: each type comes from fstatat, and a
// name gone since the listing is dropped.
func TestDirentsUnknownType(t *testing.T) {
	dir := plantDirentTree(t)
	fd := openDirFD(t, dir)
	var b []byte
	for _, name := range []string{".", "..", "file", "sub", "link", "fifo", "gone"} {
		b = append(b, direntRecord(1, unix.DT_UNKNOWN, name)...)
	}
	got, err := appendDirents(nil, b, fd, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []dirEntry{
		{"file", 0}, {"sub", fs.ModeDir}, {"link", fs.ModeSymlink}, {"fifo", fs.ModeNamedPipe},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(dirEntry{})); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
}

// TestDirentsMalformed: records that do not fit are errors, not panics.
func TestDirentsMalformed(t *testing.T) {
	good := direntRecord(1, unix.DT_REG, "a")
	for name, b := range map[string][]byte{
		"short": good[:10],
		"reclen too big": func() []byte {
			c := slices.Clone(good)
			binary.NativeEndian.PutUint16(c[direntReclenOff:], 200)
			return c
		}(),
		"reclen too small": func() []byte {
			c := slices.Clone(good)
			binary.NativeEndian.PutUint16(c[direntReclenOff:], 3)
			return c
		}(),
	} {
		if _, err := appendDirents(nil, b, -1, "dir"); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// FuzzDirents decodes arbitrary getdents output, seeded with a real
// listing: never a panic, and every name is a single path element.
func FuzzDirents(f *testing.F) {
	dir := plantDirentTree(f)
	fd := openDirFD(f, dir)
	buf := make([]byte, 4096)
	n, err := unix.Getdents(fd, buf)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(buf[:n])
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, _ := appendDirents(nil, b, fd, dir)
		for _, e := range entries {
			if e.name == "" || e.name == "." || e.name == ".." || strings.ContainsRune(e.name, 0) {
				t.Errorf("bad name %q", e.name)
			}
		}
	})
}
