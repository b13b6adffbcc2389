//go:build linux || darwin

package metricsx

import (
	"errors"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// readRusage fills the fields getrusage and getrlimit give on both
// platforms.
func readRusage(p *Process) error {
	var errs []error
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err == nil {
		p.CPUSeconds = rusageCPUSeconds(int64(ru.Utime.Sec), int64(ru.Utime.Usec), int64(ru.Stime.Sec), int64(ru.Stime.Usec))
		p.Known |= ProcessCPU
		if runtime.GOOS == "darwin" {
			p.MaxRSSBytes = maxRSSBytes(runtime.GOOS, int64(ru.Maxrss))
			p.Known |= ProcessMaxRSS
		}
	} else {
		errs = append(errs, os.NewSyscallError("getrusage", err))
	}
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err == nil {
		p.MaxFDs = rl.Cur
		p.Known |= ProcessMaxFDs
	} else {
		errs = append(errs, os.NewSyscallError("getrlimit", err))
	}
	return errors.Join(errs...)
}

// readFDDir counts the entries of a directory listing this process's
// descriptors.
func readFDDir(p *Process, dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return err
	}
	p.OpenFDs = countFDs(len(names))
	p.Known |= ProcessOpenFDs
	return nil
}
