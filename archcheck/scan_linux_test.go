package archcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nativego/nativego/internal/testenv"
)

// openFiles names this process's open descriptors, for messages.
func openFiles() []string {
	ents, _ := os.ReadDir("/proc/self/fd")
	var names []string
	for _, e := range ents {
		l, _ := os.Readlink("/proc/self/fd/" + e.Name())
		names = append(names, e.Name()+"="+l)
	}
	return names
}

// TestScanFaults plants real special files; each must come back as an
// error row of its own, without blocking, and without stopping the scan.
func TestScanFaults(t *testing.T) { bothSniffPaths(t, testScanFaults) }

func testScanFaults(t *testing.T) {
	tests := []struct {
		name    string
		follow  bool
		plant   func(t *testing.T, dir string) string // returns the path that must be an error
		wantErr error
	}{
		{"fifo", false, func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "fifo")
			if err := syscall.Mkfifo(p, 0o644); err != nil {
				t.Fatal(err)
			}
			return p
		}, ErrNotRegular},
		{"unix socket", false, func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "sock")
			l, err := net.Listen("unix", p)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
			return p
		}, ErrNotRegular},
		{"symlink to /dev/zero", true, func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "zero")
			if err := os.Symlink("/dev/zero", p); err != nil {
				t.Fatal(err)
			}
			return p
		}, ErrNotRegular},
		{"symlink to an ancestor", true, func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "sub", "up")
			os.Mkdir(filepath.Join(dir, "sub"), 0o755)
			if err := os.Symlink("..", p); err != nil {
				t.Fatal(err)
			}
			return p
		}, ErrSymlinkLoop},
		{"symlink to itself", true, func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "self")
			if err := os.Symlink("self", p); err != nil {
				t.Fatal(err)
			}
			return p
		}, syscall.ELOOP},
		{"dangling symlink", true, func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "dangling")
			if err := os.Symlink("nowhere", p); err != nil {
				t.Fatal(err)
			}
			return p
		}, fs.ErrNotExist},
	}
	bin := testenv.Build(t, testenv.BuildSpec{GOOS: "darwin", GOARCH: "amd64"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			copyFile(t, bin, filepath.Join(dir, "a-bin"), 0o755)
			copyFile(t, bin, filepath.Join(dir, "z-bin"), 0o755)
			bad := tt.plant(t, dir)
			before := testenv.OpenFiles(t)
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			got := collect(t, ctx, []string{dir}, ScanOptions{FollowSymlinks: tt.follow, Workers: 1})
			if ctx.Err() != nil {
				t.Fatal("scan did not finish within a minute")
			}
			if r := got[bad]; r == nil || !errors.Is(r.Err, tt.wantErr) {
				t.Errorf("%s: got %+v, want an error wrapping %v", bad, r, tt.wantErr)
			}
			for _, p := range []string{"a-bin", "z-bin"} {
				if r := got[filepath.Join(dir, p)]; r == nil || r.Err != nil || r.File == nil {
					t.Errorf("%s beside the fault: got %+v, want it examined", p, r)
				}
			}
			if n := testenv.OpenFiles(t); n != before {
				t.Errorf("%d descriptors open after the scan, %d before", n, before)
			}
		})
	}
}

// TestScanSwappedForFIFO replaces a file by a named pipe between the walk
// and the open: the open must not block waiting for a writer, nor the
// read wait for data from a writer that is attached but silent.
func TestScanSwappedForFIFO(t *testing.T) {
	t.Run("no writer", func(t *testing.T) {
		bothSniffPaths(t, func(t *testing.T) { testScanSwappedForFIFO(t, false) })
	})
	t.Run("silent writer", func(t *testing.T) {
		bothSniffPaths(t, func(t *testing.T) { testScanSwappedForFIFO(t, true) })
	})
}

func testScanSwappedForFIFO(t *testing.T, writer bool) {
	dir := t.TempDir()
	p := filepath.Join(dir, "file")
	if err := os.WriteFile(p, []byte("text"), 0o644); err != nil {
		t.Fatal(err)
	}
	var w *os.File
	testHookOpen = func(string) func() {
		if w != nil {
			return nil // swapped already; the plain path calls the hook again
		}
		os.Remove(p)
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Error(err)
			return nil
		}
		if writer {
			var err error // O_RDWR opens a FIFO without waiting, and holds a writer
			if w, err = os.OpenFile(p, os.O_RDWR, 0); err != nil {
				t.Error(err)
			}
		}
		return nil
	}
	defer func() {
		testHookOpen = nil
		if w != nil {
			w.Close()
		}
	}()
	done := make(chan map[string]*ScanResult, 1)
	go func() { done <- collect(t, t.Context(), []string{dir}, ScanOptions{}) }()
	var got map[string]*ScanResult
	select {
	case got = <-done:
	case <-time.After(60 * time.Second):
		if w != nil {
			w.Write([]byte("unblock")) // let the scan end before failing
		}
		<-done
		t.Fatal("the scan waited on the named pipe")
	}
	if r := got[p]; r == nil || !errors.Is(r.Err, ErrNotRegular) {
		t.Errorf("got %+v, want ErrNotRegular", got[p])
	}
}

// readChars returns the bytes this process has read so far (rchar in
// /proc/self/io, proc(5)), pread included.
func readChars(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		t.Skipf("no /proc/self/io: %v", err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "rchar: "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no rchar in /proc/self/io")
	return 0
}

// TestScanSparse scans two 4 GiB sparse files, one of zeros and one
// starting with a real Mach-O header: each must be identified from one
// small read, never read whole.
func TestScanSparse(t *testing.T) {
	dir := t.TempDir()
	zeros := filepath.Join(dir, "zeros")
	macho := filepath.Join(dir, "macho")
	bin := testenv.BuildBytes(t, testenv.BuildSpec{GOOS: "darwin", GOARCH: "arm64"})
	if err := os.WriteFile(macho, bin[:4096], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(zeros, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{zeros, macho} {
		if err := os.Truncate(p, 4<<30); errors.Is(err, syscall.EFBIG) {
			t.Skipf("file system refuses a 4 GiB sparse file: %v", err)
		} else if err != nil {
			t.Fatal(err)
		}
	}
	before := readChars(t)
	got := collect(t, t.Context(), []string{dir}, ScanOptions{MaxFileSize: 1 << 30})
	read := readChars(t) - before
	if read > 1<<20 {
		t.Errorf("scanning two 4 GiB sparse files read %d bytes, want under 1 MiB", read)
	}
	if len(got) != 1 || got[macho] == nil || !errors.Is(got[macho].Err, ErrTooLarge) {
		t.Errorf("got %v, want only %s with ErrTooLarge", got, macho)
	}
}

// childEnv names the environment variable that makes TestScanChild run:
// its value is the root to scan. childNofile, if set, is the descriptor
// limit the child sets on itself first.
const (
	childEnv    = "NATIVEGO_SCAN_CHILD_ROOT"
	childNofile = "NATIVEGO_SCAN_CHILD_NOFILE"
	childMarker = "SCANCHILD "
)

// A childReport is what TestScanChild prints for its parent.
type childReport struct {
	Files, Candidates     int64
	Errors                []string
	Permission            int // errors wrapping fs.ErrPermission
	FDBefore, FDAfter     int
	OpenBefore, OpenAfter []string
	Uid                   int
}

// TestScanChild is not a test on its own: the tests below re-execute the
// test binary to run it in a child process under a descriptor limit or
// another user, and read its report from standard output.
func TestScanChild(t *testing.T) {
	root := os.Getenv(childEnv)
	if root == "" {
		t.Skip("runs only as a child of TestScanRlimit and TestScanUnreadable")
	}
	if s := os.Getenv(childNofile); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: n, Max: n}); err != nil {
			t.Fatal(err)
		}
	}
	rep := childReport{FDBefore: testenv.OpenFiles(t), OpenBefore: openFiles(), Uid: os.Getuid()}
	var last ScanProgress
	for r, err := range Scan(t.Context(), []string{root}, ScanOptions{Progress: func(p ScanProgress) { last = p }}) {
		if err != nil {
			t.Fatal(err)
		}
		if r.Err != nil {
			rep.Errors = append(rep.Errors, r.Err.Error())
			if errors.Is(r.Err, fs.ErrPermission) {
				rep.Permission++
			}
		}
	}
	rep.Files, rep.Candidates = last.Files, last.Candidates
	rep.FDAfter = testenv.OpenFiles(t)
	rep.OpenAfter = openFiles()
	b, _ := json.Marshal(rep)
	fmt.Printf("\n%s%s\n", childMarker, b)
}

// runChild runs TestScanChild on root and returns its report.
func runChild(t *testing.T, exe, root string, env []string, cred *syscall.Credential) childReport {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd, err := testenv.TestBinaryCommand(ctx, exe, "-test.run=^TestScanChild$", "-test.v")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(os.Environ(), append(env, childEnv+"="+root)...)
	cmd.Dir = "/"
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("child scan did not finish in 5 minutes (hung?):\n%s", out)
	}
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if testing.Verbose() {
		t.Logf("child output:\n%s", out)
	}
	_, js, ok := bytes.Cut(out, []byte(childMarker))
	if !ok {
		t.Fatalf("child printed no report:\n%s", out)
	}
	js, _, _ = bytes.Cut(js, []byte("\n"))
	var rep childReport
	if err := json.Unmarshal(js, &rep); err != nil {
		t.Fatalf("child report %q: %v", js, err)
	}
	return rep
}

// TestScanRlimit scans a tree of 100,000 small files in a child process
// whose descriptor limit is 64: the scan must finish, examine every file
// without a single error (it budgets descriptors from the limit), and
// leave no descriptor open.
func TestScanRlimit(t *testing.T) { bothSniffPaths(t, testScanRlimit) }

func testScanRlimit(t *testing.T) {
	if testing.Short() {
		t.Skip("100,000-file tree in -short mode")
	}
	root := bigTreeDir(t)
	const dirs, perDir = 100, 1000
	for i := range dirs {
		d := filepath.Join(root, fmt.Sprint(i))
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for j := range perDir {
			if err := os.WriteFile(filepath.Join(d, fmt.Sprint(j)), []byte("small file\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// One executable, so the full parse runs under the limit too.
	copyFile(t, testenv.Build(t, testenv.BuildSpec{GOOS: "linux", GOARCH: "arm64"}), filepath.Join(root, "0", "bin"), 0o755)
	rep := runChild(t, os.Args[0], root, []string{childNofile + "=64"}, nil)
	if rep.Files != dirs*perDir+1 || rep.Candidates != 1 || len(rep.Errors) != 0 {
		t.Errorf("under RLIMIT_NOFILE=64: %d files, %d executables, errors %q; want %d, 1, none",
			rep.Files, rep.Candidates, rep.Errors, dirs*perDir+1)
	}
	if rep.FDAfter != rep.FDBefore {
		t.Errorf("child had %d descriptors open after the scan, %d before:\nafter: %q\nbefore: %q", rep.FDAfter, rep.FDBefore, rep.OpenAfter, rep.OpenBefore)
	}
}

// TestScanUnreadable scans a file and a directory without read
// permission. Root reads them anyway, so as root the scan runs in a child
// process as the user nobody.
func TestScanUnreadable(t *testing.T) { bothSniffPaths(t, testScanUnreadable) }

func testScanUnreadable(t *testing.T) {
	base, err := os.MkdirTemp("", "nativego-unreadable-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error { os.Chmod(p, 0o755); return nil })
		os.RemoveAll(base)
	})
	root := filepath.Join(base, "tree")
	bin := testenv.Build(t, testenv.BuildSpec{GOOS: "darwin", GOARCH: "amd64"})
	copyFile(t, bin, filepath.Join(root, "readable"), 0o755)
	copyFile(t, bin, filepath.Join(root, "unreadable"), 0o000)
	copyFile(t, bin, filepath.Join(root, "closed", "inside"), 0o755)
	for _, p := range []string{base, root} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(root, "closed"), 0o000); err != nil {
		t.Fatal(err)
	}

	if os.Geteuid() != 0 {
		got := collect(t, t.Context(), []string{root}, ScanOptions{})
		for _, p := range []string{"unreadable", "closed"} {
			if r := got[filepath.Join(root, p)]; r == nil || !errors.Is(r.Err, fs.ErrPermission) {
				t.Errorf("%s: got %+v, want fs.ErrPermission", p, r)
			}
		}
		if r := got[filepath.Join(root, "readable")]; r == nil || r.Err != nil {
			t.Errorf("readable: got %+v", r)
		}
		return
	}
	// The test binary lives in a directory only root may enter: copy it
	// where nobody (uid and gid 65534 on Debian) can run it.
	exe := filepath.Join(base, "scan.test")
	copyFile(t, os.Args[0], exe, 0o755)
	rep := runChild(t, exe, root, nil, &syscall.Credential{Uid: 65534, Gid: 65534})
	if rep.Uid != 65534 {
		t.Fatalf("child ran as uid %d", rep.Uid)
	}
	if rep.Permission != 2 || len(rep.Errors) != 2 || rep.Candidates != 1 {
		t.Errorf("as nobody: %d executables, errors %q (%d permission); want 1 and two permission errors",
			rep.Candidates, rep.Errors, rep.Permission)
	}
}

// bigTreeDir returns an empty directory for a large tree: on the memory
// file system /dev/shm when there is one, where creating 100,000 files
// takes seconds instead of minutes on a busy disk.
func bigTreeDir(t *testing.T) string {
	t.Helper()
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "nativego-scan-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(d) })
			return d
		}
	}
	return t.TempDir()
}

// TestScanOneFilesystem follows a link from a directory on one file
// system into the memory file system /dev/shm: OneFilesystem must not
// enter it, and without OneFilesystem the file there is found.
func TestScanOneFilesystem(t *testing.T) {
	root := t.TempDir()
	shm, err := os.MkdirTemp("/dev/shm", "nativego-xdev-")
	if err != nil {
		t.Skipf("no /dev/shm: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(shm) })
	var rootSt, shmSt syscall.Stat_t
	if syscall.Stat(root, &rootSt) != nil || syscall.Stat(shm, &shmSt) != nil || rootSt.Dev == shmSt.Dev {
		t.Skip("the temporary directory is on /dev/shm's file system")
	}
	bin := filepath.Join(shm, "bin")
	copyFile(t, testenv.Build(t, testenv.BuildSpec{GOOS: "linux", GOARCH: "arm64"}), bin, 0o755)
	link := filepath.Join(root, "shm")
	if err := os.Symlink(shm, link); err != nil {
		t.Fatal(err)
	}
	for _, xdev := range []bool{false, true} {
		got := collect(t, t.Context(), []string{root}, ScanOptions{FollowSymlinks: true, OneFilesystem: xdev})
		_, found := got[filepath.Join(link, "bin")]
		if found == xdev {
			t.Errorf("OneFilesystem=%v: found the file on the other file system: %v", xdev, found)
		}
	}
}
