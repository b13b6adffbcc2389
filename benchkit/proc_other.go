//go:build !unix

package benchkit

import (
	"context"
	"errors"
	"fmt"
	"runtime"
)

// startAndWait is not implemented where there are no process groups to
// kill: benchkit would leave processes behind on cancellation.
func startAndWait(ctx context.Context, path string, s *procSpec) (*procResult, error) {
	return nil, fmt.Errorf("benchkit: running commands on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}

type treeCgroup struct{}

func (*treeCgroup) peak() int64   { return 0 }
func (*treeCgroup) remove() error { return nil }

type cgroupParent struct{ label string }

func (*cgroupParent) newRun() (*treeCgroup, error) { return nil, nil }

func findCgroupParent() (*cgroupParent, string) {
	return nil, "cgroups are Linux-only"
}
