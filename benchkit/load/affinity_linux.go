//go:build linux

package load

import (
	"os"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// cpuSetBits is the number of CPUs a unix.CPUSet holds (glibc's
// CPU_SETSIZE, 1024, on every architecture).
const cpuSetBits = 1024

// Affinity returns the CPUs process pid may run on (0 for this one; for a
// multi-threaded process, those of its main thread).
func Affinity(pid int) ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(pid, &set); err != nil {
		return nil, os.NewSyscallError("sched_getaffinity", err)
	}
	var cpus []int
	for c := range cpuSetBits {
		if set.IsSet(c) {
			cpus = append(cpus, c)
		}
	}
	return cpus, nil
}

// SetAffinity confines this process to cpus and sets GOMAXPROCS to their
// number. sched_setaffinity applies to one thread, and a Go process has
// many: SetAffinity sets every thread listed in /proc/self/task, and
// repeats until no new thread appears, since a thread created meanwhile by
// a thread not yet confined would escape. Threads created later inherit the
// mask from their creator.
func SetAffinity(cpus []int) error {
	if len(cpus) == 0 {
		return &ConfigError{"cpus", "empty CPU list"}
	}
	var set unix.CPUSet
	for _, c := range cpus {
		if c < 0 || c >= cpuSetBits {
			return &ConfigError{"cpus", "CPU " + strconv.Itoa(c) + " out of range"}
		}
		set.Set(c)
	}
	done := map[int]bool{}
	for {
		ents, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return err
		}
		fresh := 0
		for _, e := range ents {
			tid, err := strconv.Atoi(e.Name())
			if err != nil || done[tid] {
				continue
			}
			fresh++
			if err := unix.SchedSetaffinity(tid, &set); err != nil && err != unix.ESRCH {
				return os.NewSyscallError("sched_setaffinity", err)
			}
			done[tid] = true
		}
		if fresh == 0 {
			break
		}
	}
	runtime.GOMAXPROCS(len(cpus))
	return nil
}
