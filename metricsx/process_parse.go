package metricsx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// The functions in this file turn what the operating systems report into
// Process fields. They have no build tags, so that the logic of every
// platform is tested on any of them with recorded inputs.

// parseStatStartTicks returns field 22, starttime, of a /proc/<pid>/stat
// line (proc(5)): clock ticks from boot to the process's start. The second
// field, the command name, is in parentheses and may itself hold spaces
// and parentheses, so fields are counted from the last ')'.
func parseStatStartTicks(stat []byte) (uint64, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("/proc/self/stat: no command name")
	}
	// After ") " come field 3 (state) onwards: starttime is the 20th.
	fields := bytes.Fields(stat[i+1:])
	const startField = 22 - 3
	if len(fields) <= startField {
		return 0, fmt.Errorf("/proc/self/stat: %d fields after the command name, want more than %d", len(fields), startField)
	}
	v, err := strconv.ParseUint(string(fields[startField]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("/proc/self/stat: starttime: %w", err)
	}
	return v, nil
}

// parseBootTime returns btime, the boot time in seconds since the Unix
// epoch, from /proc/stat (proc(5)).
func parseBootTime(procStat []byte) (int64, error) {
	for line := range bytes.Lines(procStat) {
		if rest, ok := bytes.CutPrefix(line, []byte("btime ")); ok {
			v, err := strconv.ParseInt(string(bytes.TrimSpace(rest)), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/stat: btime: %w", err)
			}
			return v, nil
		}
	}
	return 0, errors.New("/proc/stat: no btime line")
}

// atClkTck is the auxiliary vector entry holding the kernel's clock tick
// rate (USER_HZ), AT_CLKTCK in include/uapi/linux/auxvec.h.
const atClkTck = 17

// parseAuxvClockTicks returns AT_CLKTCK from an auxiliary vector
// (/proc/self/auxv): pairs of native-endian words, type then value, ended
// by AT_NULL. wordSize is 8 or 4.
func parseAuxvClockTicks(auxv []byte, wordSize int, order binary.ByteOrder) (uint64, bool) {
	word := func(b []byte) uint64 {
		if wordSize == 4 {
			return uint64(order.Uint32(b))
		}
		return order.Uint64(b)
	}
	for len(auxv) >= 2*wordSize {
		typ, val := word(auxv), word(auxv[wordSize:])
		auxv = auxv[2*wordSize:]
		switch typ {
		case 0: // AT_NULL
			return 0, false
		case atClkTck:
			return val, val > 0
		}
	}
	return 0, false
}

// startTime converts a process's start in clock ticks since boot into a
// time.
func startTime(bootSec int64, startTicks, ticksPerSec uint64) time.Time {
	sec := startTicks / ticksPerSec
	frac := startTicks % ticksPerSec
	return time.Unix(bootSec+int64(sec), int64(frac*uint64(time.Second)/ticksPerSec))
}

// parseStatusKB returns the value in bytes of a "Key:   123 kB" line of
// /proc/self/status.
func parseStatusKB(status []byte, key string) (uint64, bool) {
	for line := range bytes.Lines(status) {
		rest, ok := bytes.CutPrefix(line, []byte(key+":"))
		if !ok {
			continue
		}
		num, ok := bytes.CutSuffix(bytes.TrimSpace(rest), []byte(" kB"))
		if !ok {
			return 0, false
		}
		v, err := strconv.ParseUint(string(bytes.TrimSpace(num)), 10, 64)
		if err != nil || v > (1<<64-1)/1024 {
			return 0, false
		}
		return v * 1024, true
	}
	return 0, false
}

// rusageCPUSeconds adds user and system time given as timevals.
func rusageCPUSeconds(userSec, userUsec, sysSec, sysUsec int64) float64 {
	return float64(userSec+sysSec) + float64(userUsec+sysUsec)/1e6
}

// maxRSSBytes converts getrusage's ru_maxrss to bytes: the field is in
// kilobytes on Linux and in bytes on macOS (getrusage(2) on each).
func maxRSSBytes(goos string, maxrss int64) uint64 {
	if maxrss < 0 {
		return 0
	}
	if goos == "darwin" || goos == "ios" {
		return uint64(maxrss)
	}
	return uint64(maxrss) * 1024
}

// countFDs counts the descriptors listed in a /proc/self/fd or /dev/fd
// directory, not counting the one used to list it.
func countFDs(entries int) uint64 {
	if entries <= 1 {
		return 0
	}
	return uint64(entries - 1)
}

// timevalTime converts a struct timeval, such as kinfo_proc's p_starttime
// on macOS, to a time.
func timevalTime(sec, usec int64) time.Time {
	return time.Unix(sec, usec*int64(time.Microsecond))
}
