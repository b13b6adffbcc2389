package metricsx

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

func readProcess() (Process, error) {
	var p Process
	errs := []error{readRusage(&p), readFDDir(&p, "/dev/fd")}
	if kp, err := unix.SysctlKinfoProc("kern.proc.pid", os.Getpid()); err == nil {
		tv := kp.Proc.P_starttime
		p.StartTime, p.Known = timevalTime(int64(tv.Sec), int64(tv.Usec)), p.Known|ProcessStartTime
	} else {
		errs = append(errs, os.NewSyscallError("sysctl kern.proc.pid", err))
	}
	return p, errors.Join(errs...)
}
