//go:build !linux && !darwin

package archcheck

import (
	"os"
	"runtime"
)

// detectHost on systems without a dedicated probe reports what the Go
// runtime knows.
func detectHost() *Host {
	h := &Host{OS: runtime.GOOS, Arch: runtime.GOARCH, HardwareArch: runtime.GOARCH}
	h.PageSize = os.Getpagesize()
	h.addEvidence("arch", h.Arch, "runtime.GOARCH")
	h.addEvidence("hardware_arch", h.HardwareArch, "assumed equal to runtime.GOARCH: no probe for "+h.OS)
	return h
}
