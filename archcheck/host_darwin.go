//go:build darwin

package archcheck

import (
	"encoding/binary"
	"os"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

func detectHost() *Host {
	_, err := os.Stat(rosettaRuntimePath)
	return darwinHost(darwinProbe{
		sysctl:         sysctlValue,
		goarch:         runtime.GOARCH,
		pageSize:       os.Getpagesize(),
		rosettaRuntime: err == nil,
	})
}

// numericSysctls are the integer-valued sysctls darwinHost reads; the
// others are strings. The kernel returns integers as 4 or 8 raw bytes.
var numericSysctls = map[string]bool{
	"hw.optional.arm64": true, "sysctl.proc_translated": true, "hw.pagesize": true,
	"hw.perflevel0.physicalcpu": true, "hw.perflevel1.physicalcpu": true, "hw.physicalcpu": true,
	"hw.optional.arm.FEAT_LSE": true, "hw.optional.armv8_1_atomics": true,
}

// sysctlValue reads a sysctl by name and formats it as the sysctl command
// does.
func sysctlValue(name string) (string, bool) {
	if !numericSysctls[name] {
		v, err := unix.Sysctl(name)
		return v, err == nil
	}
	b, err := unix.SysctlRaw(name)
	if err != nil {
		return "", false
	}
	switch len(b) {
	case 4:
		return strconv.FormatUint(uint64(binary.NativeEndian.Uint32(b)), 10), true
	case 8:
		return strconv.FormatUint(binary.NativeEndian.Uint64(b), 10), true
	}
	return "", false
}
