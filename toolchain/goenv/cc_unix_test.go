//go:build linux

package goenv

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCCKilledWithItsChildren checks that a C compiler that hangs is
// killed with its whole process group when the context ends.
func TestCCKilledWithItsChildren(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	s := newSetup(t)
	pidFile := filepath.Join(s.dir, "child.pid")
	script := filepath.Join(s.dir, "hang-cc")
	writeFile(t, script, "#!/bin/sh\nsleep 300 &\necho $! > "+pidFile+"\nwait\n")
	if err := os.Chmod(script, 0o755); err != nil {
		t.Fatal(err)
	}
	s.set("CC", script, "CGO_ENABLED", "1")
	env := s.resolve()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		AuditArch(ctx, env, &ArchOptions{Host: testHost()})
	}()
	var pid int
	deadline := time.Now().Add(10 * time.Second)
	for pid == 0 && time.Now().Before(deadline) {
		if b, err := os.ReadFile(pidFile); err == nil && strings.HasSuffix(string(b), "\n") {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		runtime.Gosched()
	}
	if pid == 0 {
		t.Fatal("the C compiler script never started its child")
	}
	cancel()
	<-done
	for time.Now().Before(deadline) {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
		if isZombie(pid) {
			return // killed, not yet reaped by its new parent
		}
		runtime.Gosched()
	}
	syscall.Kill(pid, syscall.SIGKILL)
	t.Errorf("child %d of the C compiler outlived the cancelled audit", pid)
}

func isZombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return strings.HasPrefix(rest, "Z")
}
