//go:build unix

package testenv_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

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
