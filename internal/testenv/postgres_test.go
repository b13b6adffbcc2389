//go:build unix

package testenv_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nativego/nativego/internal/testenv"
)

// TestPostgresLifecycle starts a throwaway cluster, checks it with psql
// (PostgreSQL's own client as the oracle), restarts it with data kept, and
// checks that stopping it leaves no server process behind.
func TestPostgresLifecycle(t *testing.T) {
	pg := testenv.StartPostgres(t)
	if got := pg.Psql(t, "SELECT current_user || ' ' || current_setting('fsync')"); got != "postgres off" {
		t.Fatalf("psql SELECT current_user, fsync = %q, want %q", got, "postgres off")
	}
	pg.Psql(t, "CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)")
	pid := postmasterPID(t, pg)

	pg.Restart(t)
	if alive(pid) {
		t.Errorf("postmaster %d still alive after Restart", pid)
	}
	if got := pg.Psql(t, "SELECT n FROM kept"); got != "42" {
		t.Errorf("after restart, SELECT n FROM kept = %q, want 42", got)
	}
	if !strings.Contains(pg.Log(), "ready to accept connections") {
		t.Errorf("server log lacks the readiness line:\n%s", pg.Log())
	}

	pid = postmasterPID(t, pg)
	pg.Stop(t)
	if alive(pid) {
		t.Errorf("postmaster %d still alive after Stop", pid)
	}
	if _, err := os.Stat(filepath.Join(pg.SocketDir, ".s.PGSQL."+strconv.Itoa(pg.Port))); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket still present after Stop: %v", err)
	}
	pg.Stop(t) // a second Stop does nothing
}

// postmasterPID reads the first line of postmaster.pid, the server's own
// record of its process id.
func postmasterPID(t *testing.T, pg *testenv.Postgres) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(pg.Dir, "data", "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.SplitN(string(b), "\n", 2)[0])
	if err != nil {
		t.Fatalf("postmaster.pid: %v", err)
	}
	return pid
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// TestPostgresDiesWithTest kills a test process that started a cluster,
// so that no cleanup runs, and checks that the server does not outlive
// it (Linux's parent-death signal).
func TestPostgresDiesWithTest(t *testing.T) {
	if os.Getenv("NATIVEGO_PG_CHILD") == "1" {
		pg := testenv.StartPostgres(t)
		fmt.Printf("pid %d dir %s\n", postmasterPID(t, pg), pg.Dir)
		select {} // until killed
	}
	if runtime.GOOS != "linux" {
		t.Skip("only Linux has a parent-death signal")
	}
	testenv.PostgresBinDir(t)
	if testing.Short() {
		t.Skip("starting a PostgreSQL cluster in -short mode")
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestPostgresDiesWithTest$", "-test.v")
	cmd.Env = append(os.Environ(), "NATIVEGO_PG_CHILD=1")
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	var dir string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if n, _ := fmt.Sscanf(sc.Text(), "pid %d dir %s", &pid, &dir); n == 2 {
			break
		}
	}
	if pid == 0 {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("child test started no cluster")
	}
	t.Cleanup(func() { os.RemoveAll(dir) }) // the killed child cannot
	cmd.Process.Kill()
	go func() {
		for sc.Scan() {
		}
	}()
	cmd.Wait()
	// The postmaster is not our child: wait for it to vanish.
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) && !isZombie(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(-pid, syscall.SIGKILL)
			t.Fatalf("postmaster %d outlived its test process by 10 s", pid)
		}
		time.Sleep(10 * time.Millisecond) // no event tells us another process's parent died
	}
}

// isZombie reports whether pid has exited but not been reaped (by init,
// once it was orphaned).
func isZombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] == "Z"
}
