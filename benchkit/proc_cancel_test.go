//go:build linux

package benchkit

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// spawner starts grandchildren three ways — a background job, a
// double fork whose middle process exits at once (an orphan), and a
// foreground child — records every process ID, then waits forever.
const spawner = `sleep 300 & echo $! >> "$1"
(sleep 300 & echo $! >> "$1")
echo $$ >> "$1"
echo started
sleep 300
`

func TestCancelKillsTree(t *testing.T) {
	for _, tt := range []struct {
		name    string
		timeout time.Duration
		cancel  bool
		want    func(error) bool
	}{
		{"context", 0, true, func(err error) bool { return errors.Is(err, context.Canceled) }},
		{"timeout", time.Second, false, func(err error) bool { var te *TimeoutError; return errors.As(err, &te) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pids := filepath.Join(t.TempDir(), "pids")
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			started := make(chan struct{})
			var once bool
			out := writerFunc(func(p []byte) (int, error) {
				if !once && strings.Contains(string(p), "started") {
					once = true
					close(started)
				}
				return len(p), nil
			})
			if tt.cancel {
				go func() {
					select {
					case <-started:
						cancel()
					case <-ctx.Done():
					}
				}()
			}
			spec := &procSpec{args: []string{"/bin/sh", "-c", spawner, "sh", pids}, env: os.Environ(), stdout: out, timeout: tt.timeout, exitHWM: true}
			_, err := runProc(ctx, spec)
			if !tt.want(err) {
				t.Fatalf("err = %v", err)
			}
			b, err := os.ReadFile(pids)
			if err != nil {
				t.Fatal(err)
			}
			list := strings.Fields(string(b))
			if len(list) != 3 {
				t.Fatalf("recorded %d processes, want 3: %q", len(list), list)
			}
			for _, s := range list {
				pid, _ := strconv.Atoi(s)
				if err := waitGone(pid, 10*time.Second); err != nil {
					t.Errorf("process %d: %v", pid, err)
				}
			}
		})
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// waitGone waits, on the process's pidfd, until pid has exited.
// SIGKILL is delivered asynchronously: the kill returns before the
// target is gone.
func waitGone(pid int, timeout time.Duration) error {
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return nil
	}
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, int(timeout/time.Millisecond))
	if err != nil {
		return err
	}
	if n == 0 {
		return errors.New("still running " + timeout.String() + " after the run was cancelled")
	}
	return nil
}
