package testenv

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// PostgresBinDir returns the directory holding initdb, postgres, psql and
// pgbench of the newest PostgreSQL installed from Debian's packages
// (/usr/lib/postgresql/VERSION/bin), or of the one whose pg_config is on
// PATH. It skips t when there is none, and fails it in CI.
func PostgresBinDir(t testing.TB) string {
	t.Helper()
	dir, err := postgresBinDir()
	if err != nil {
		skipOrFail(t, "PostgreSQL server not installed (Debian package postgresql): %v", err)
	}
	return dir
}

var postgresBinDir = sync.OnceValues(func() (string, error) {
	// Debian installs each major version side by side and puts only
	// wrappers on PATH; the newest major wins.
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return vb - va
	})
	if p, err := exec.LookPath("pg_config"); err == nil {
		if out, err := exec.Command(p, "--bindir").Output(); err == nil {
			dirs = append(dirs, strings.TrimSpace(string(out)))
		}
	}
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", errors.New("no initdb and postgres under /usr/lib/postgresql/*/bin or pg_config --bindir")
})

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// Postgres is a throwaway PostgreSQL cluster: initdb'd in a temporary
// directory, listening on 127.0.0.1 at a free port and on a Unix socket in
// that directory, with fsync off. Connections over the socket are trusted;
// over TCP they need Password (SCRAM), so that tests see a real password in
// a real DSN.
//
// PostgreSQL refuses to run as root. When the tests run as root (as CI
// does) the server and initdb run as the system user "postgres" through
// the process credentials, and the directory is handed to that user.
type Postgres struct {
	BinDir    string // initdb, postgres, psql, pgbench
	Dir       string // holds data/ and the socket; removed at cleanup
	SocketDir string
	Port      int
	User      string // the superuser, "postgres"
	Password  string
	Database  string // "postgres"

	runAs *osUser // nil when not root

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has been waited for
	log  *syncBuffer
}

// StartPostgres creates and starts a cluster that is stopped and removed
// when t ends. It skips t in -short mode and when PostgreSQL is not
// installed.
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	if testing.Short() {
		t.Skip("starting a PostgreSQL cluster in -short mode")
	}
	p := &Postgres{BinDir: PostgresBinDir(t), User: "postgres", Database: "postgres"}
	if !canRunProcessGroups {
		t.Skipf("testenv: PostgreSQL test clusters need Unix process groups, not on %s", runtime.GOOS)
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			skipOrFail(t, "running as root and there is no user postgres to run PostgreSQL as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		p.runAs = &osUser{uid: uid, gid: gid}
	}
	// Not t.TempDir: its parent is private to the test's user, and the
	// postgres user must be able to reach the data directory.
	dir, err := os.MkdirTemp("", "nativego-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p.Dir = dir
	p.SocketDir = dir
	if p.runAs != nil {
		if err := os.Chown(dir, p.runAs.uid, p.runAs.gid); err != nil {
			t.Fatal(err)
		}
	}
	var secret [12]byte
	rand.Read(secret[:])
	p.Password = "pw-" + hex.EncodeToString(secret[:])
	pwfile := filepath.Join(dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(p.Password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if p.runAs != nil {
		if err := os.Chown(pwfile, p.runAs.uid, p.runAs.gid); err != nil {
			t.Fatal(err)
		}
	}
	initdb := p.command(t.Context(), "initdb", "-D", p.dataDir(), "-U", p.User, "-E", "UTF8",
		"--locale=C", "--no-sync", "--auth-local=trust", "--auth-host=scram-sha-256", "--pwfile="+pwfile)
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	os.Remove(pwfile)
	p.Port = freePort(t)
	p.Start(t)
	t.Cleanup(func() { p.Stop(t) })
	return p
}

// osUser is a user other than the test's that a process runs as.
type osUser struct{ uid, gid int }

func (p *Postgres) dataDir() string { return filepath.Join(p.Dir, "data") }

// command returns a command for the PostgreSQL program name, run as the
// postgres user when the test runs as root, in its own process group so
// that the whole tree can be killed.
func (p *Postgres) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(p.BinDir, name), args...)
	setProcessGroup(cmd, p.runAs)
	cmd.Cancel = func() error { return killGroup(cmd.Process.Pid) }
	cmd.WaitDelay = 10 * time.Second
	cmd.Dir = p.Dir
	// LC_ALL keeps messages, and so the readiness line, in English.
	cmd.Env = append(os.Environ(), "LC_ALL=C", "PGTZ=UTC")
	return cmd
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// readyLine is what the postmaster logs once it accepts connections
// (src/backend/postmaster/postmaster.c, unchanged since 10).
const readyLine = "database system is ready to accept connections"

// Start starts the server on the cluster's port and waits until it accepts
// connections. A test that stopped the server may start it again.
func (p *Postgres) Start(t testing.TB) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		t.Fatal("testenv: Postgres.Start: already running")
	}
	// The server lives until Stop, not until the test that started it
	// returns: a subtest may restart a cluster its parent owns.
	cmd := p.command(context.Background(), "postgres", "-D", p.dataDir(),
		"-k", p.SocketDir, "-p", strconv.Itoa(p.Port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200", "-c", "logging_collector=off")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("postgres: %v", err)
	}
	p.cmd = cmd
	p.log = new(syncBuffer)
	ready := make(chan struct{})
	exited := make(chan struct{})
	p.done = exited
	go func() {
		sc := bufio.NewScanner(stderr)
		signalled := false
		for sc.Scan() {
			p.log.Write(append(sc.Bytes(), '\n'))
			if !signalled && strings.Contains(sc.Text(), readyLine) {
				close(ready)
				signalled = true
			}
		}
		io.Copy(io.Discard, stderr)
		cmd.Wait()
		close(exited)
	}()
	timer := time.NewTimer(60 * time.Second)
	defer timer.Stop()
	select {
	case <-ready:
	case <-exited:
		p.cmd = nil
		t.Fatalf("postgres exited before accepting connections:\n%s", p.log.String())
	case <-timer.C:
		killGroup(cmd.Process.Pid)
		<-exited
		p.cmd = nil
		t.Fatalf("postgres not ready after 60 s:\n%s", p.log.String())
	}
}

// Stop shuts the server down with PostgreSQL's fast shutdown (SIGINT:
// clients are disconnected, their transactions rolled back) and waits for
// it to exit, killing its process group if it takes more than 30 s.
// Stopping a stopped server does nothing.
func (p *Postgres) Stop(t testing.TB) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	pid := p.cmd.Process.Pid
	interrupt(p.cmd.Process)
	timer := time.NewTimer(30 * time.Second)
	defer timer.Stop()
	select {
	case <-p.done:
	case <-timer.C:
		killGroup(pid)
		<-p.done
		t.Errorf("postgres did not stop within 30 s; killed:\n%s", p.log.String())
	}
	// Backends are children of the postmaster and share its group;
	// make sure none outlives it.
	killGroup(pid)
	p.cmd = nil
}

// Restart stops and starts the server on the same port and data.
func (p *Postgres) Restart(t testing.TB) {
	t.Helper()
	p.Stop(t)
	p.Start(t)
}

// Log returns what the server has written to its standard error so far.
func (p *Postgres) Log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.log == nil {
		return ""
	}
	return p.log.String()
}

// URL returns a postgres:// URL for a TCP connection to 127.0.0.1 with
// the superuser's password, the form users paste into a -dsn flag.
func (p *Postgres) URL() string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(p.User, p.Password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(p.Port)),
		Path:     "/" + p.Database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// SocketDSN returns a key=value connection string for the Unix socket,
// which the cluster trusts without a password.
func (p *Postgres) SocketDSN() string {
	return fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=disable", p.SocketDir, p.Port, p.User, p.Database)
}

// Psql runs one SQL command in the cluster's Database through psql over
// the Unix socket and returns its unaligned, tuples-only output with the
// final newline removed.
func (p *Postgres) Psql(t testing.TB, sql string) string {
	t.Helper()
	return p.PsqlDB(t, p.Database, sql)
}

// PsqlDB is like Psql, in database db.
func (p *Postgres) PsqlDB(t testing.TB, db, sql string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), filepath.Join(p.BinDir, "psql"),
		"-X", "-A", "-t", "-v", "ON_ERROR_STOP=1",
		"-h", p.SocketDir, "-p", strconv.Itoa(p.Port), "-U", p.User, "-d", db, "-c", sql)
	cmd.WaitDelay = 10 * time.Second
	cmd.Env = append(os.Environ(), "LC_ALL=C", "PGCONNECT_TIMEOUT=10")
	return strings.TrimSuffix(string(Run(t, cmd)), "\n")
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
