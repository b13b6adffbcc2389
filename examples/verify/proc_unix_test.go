//go:build unix

package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOutputKillsGroup cancels a command that started a child of its own
// and checks that the child died with it.
func TestOutputKillsGroup(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	pidFile := filepath.Join(t.TempDir(), "pid")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := output(ctx, []string{sh, "-c", "sleep 60 & echo $! > " + pidFile + "; wait"}, nil)
		done <- err
	}()
	var pid int
	for pid == 0 {
		select {
		case err := <-done:
			t.Fatalf("command ended early: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
		if b, err := os.ReadFile(pidFile); err == nil && strings.HasSuffix(string(b), "\n") {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
	}
	cancel()
	if err := <-done; err == nil {
		t.Fatal("cancelled command reported success")
	}
	// The child was reparented and, killed, is reaped by init; signal 0
	// then finds no process. Poll briefly: reaping is asynchronous.
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := syscall.Kill(pid, 0)
		if errors.Is(err, syscall.ESRCH) {
			return
		}
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("child %d outlived its cancelled parent (kill 0: %v)", pid, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
