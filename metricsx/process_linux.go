package metricsx

import (
	"encoding/binary"
	"errors"
	"os"
	"unsafe"
)

func readProcess() (Process, error) {
	var p Process
	errs := []error{readRusage(&p), readFDDir(&p, "/proc/self/fd")}
	if status, err := os.ReadFile("/proc/self/status"); err == nil {
		if v, ok := parseStatusKB(status, "VmHWM"); ok {
			p.MaxRSSBytes, p.Known = v, p.Known|ProcessMaxRSS
		}
		if v, ok := parseStatusKB(status, "VmRSS"); ok {
			p.RSSBytes, p.Known = v, p.Known|ProcessRSS
		}
	} else {
		errs = append(errs, err)
	}
	errs = append(errs, readStartTime(&p))
	return p, errors.Join(errs...)
}

// userHZ is the clock tick rate Linux has reported to user space on every
// architecture since 2.6 (USER_HZ); used only if the auxiliary vector
// cannot be read.
const userHZ = 100

func readStartTime(p *Process) error {
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return err
	}
	ticks, err := parseStatStartTicks(stat)
	if err != nil {
		return err
	}
	procStat, err := os.ReadFile("/proc/stat")
	if err != nil {
		return err
	}
	boot, err := parseBootTime(procStat)
	if err != nil {
		return err
	}
	hz := uint64(userHZ)
	if auxv, err := os.ReadFile("/proc/self/auxv"); err == nil {
		if v, ok := parseAuxvClockTicks(auxv, int(unsafe.Sizeof(uintptr(0))), binary.NativeEndian); ok {
			hz = v
		}
	}
	p.StartTime, p.Known = startTime(boot, ticks, hz), p.Known|ProcessStartTime
	return nil
}
