//go:build linux

package benchkit

import "strconv"

// hwm returns the server's VmHWM so far, in bytes, or 0.
func (p *serverProc) hwm() int64 {
	return readHWM("/proc/" + strconv.Itoa(p.pid) + "/status")
}
