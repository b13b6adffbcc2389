//go:build unix && !linux

package benchkit

// hwm returns 0: there is no VmHWM to read from outside the process, and
// the peak comes from wait4's ru_maxrss at exit.
func (p *serverProc) hwm() int64 { return 0 }
