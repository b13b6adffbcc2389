//go:build !unix && !windows

package load

import (
	"errors"
	"time"
)

func processCPU() (time.Duration, error) {
	return 0, errors.New("no process CPU time on this operating system")
}
