package testenv

import (
	"os"
	"runtime"
	"testing"
)

// OpenFiles returns how many descriptors this process has open, from
// /proc/self/fd. Outside Linux it returns 0, so that comparisons of counts
// pass trivially there.
//
// The runtime creates its network poller (an eventpoll and an eventfd
// descriptor) the first time a pollable file or a waiting timer needs it,
// and keeps it. OpenFiles opens and closes a pipe first, which creates the
// poller, so that it is counted every time and never blamed on the code
// under test. A timer would not do: one that has already expired when it
// is waited on (easily, under -race) never reaches the poller.
func OpenFiles(t testing.TB) int {
	t.Helper()
	if runtime.GOOS != "linux" {
		return 0
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	w.Close()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents) - 1 // ReadDir's own descriptor
}
