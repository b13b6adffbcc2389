//go:build !unix

package goenv

import "time"

func processCPU() time.Duration { return 0 }
