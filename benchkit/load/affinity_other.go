//go:build !linux

package load

// Affinity returns ErrNoAffinity: outside Linux the package cannot read a
// process's CPU affinity (macOS has none: QoS classes only bias threads
// towards performance or efficiency cores).
func Affinity(pid int) ([]int, error) { return nil, ErrNoAffinity }

// SetAffinity returns ErrNoAffinity: outside Linux the package cannot
// confine a process to CPUs (macOS has no hard affinity at all).
func SetAffinity(cpus []int) error { return ErrNoAffinity }
