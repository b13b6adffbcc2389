package metricsx

import (
	"time"
)

// ProcessField names one field of [Process], for Process.Known.
type ProcessField uint8

// The fields of Process. See [ReadProcess] for which each platform fills.
const (
	ProcessCPU       ProcessField = 1 << iota // CPUSeconds
	ProcessMaxRSS                             // MaxRSSBytes
	ProcessRSS                                // RSSBytes
	ProcessOpenFDs                            // OpenFDs
	ProcessMaxFDs                             // MaxFDs
	ProcessStartTime                          // StartTime
)

// Process holds operating-system statistics of this process, the ones
// Prometheus' process collector exports. Fields the platform cannot give
// are zero and absent from Known.
type Process struct {
	Known       ProcessField `json:"-"`
	CPUSeconds  float64      `json:"cpu_seconds,omitempty"`   // user plus system CPU time
	MaxRSSBytes uint64       `json:"max_rss_bytes,omitempty"` // peak resident set size
	RSSBytes    uint64       `json:"rss_bytes,omitempty"`     // resident set size now
	OpenFDs     uint64       `json:"open_fds,omitempty"`      // open file descriptors
	MaxFDs      uint64       `json:"max_fds,omitempty"`       // soft limit on descriptors (RLIMIT_NOFILE)
	StartTime   time.Time    `json:"start_time,omitzero"`     // when the process started, to the clock tick on Linux and the microsecond on macOS
}

// Has reports whether p holds the field f.
func (p Process) Has(f ProcessField) bool { return p.Known&f != 0 }

// ReadProcess returns the statistics of this process that the platform
// gives without cgo. It returns the fields it could read together with the
// first error met, if any.
//
// On Linux every field is filled: CPU time and the descriptor limit from
// getrusage(2) and getrlimit(2); peak and current resident set from
// /proc/self/status (VmHWM, VmRSS; ru_maxrss is not used because a process
// inherits its parent's high-water mark across execve); open descriptors
// by counting /proc/self/fd; the start time from /proc/self/stat's
// starttime in clock ticks since boot, /proc/stat's btime, and the tick
// rate from the auxiliary vector (AT_CLKTCK).
//
// On macOS (darwin) all but RSSBytes: CPU time, peak resident set
// (ru_maxrss, in bytes there) and the descriptor limit from getrusage and
// getrlimit; open descriptors by counting /dev/fd, which lists the calling
// process's descriptors; the start time from sysctl kern.proc.pid.<pid>
// (kinfo_proc's p_starttime). The current resident set needs
// proc_pid_rusage or task_info, which golang.org/x/sys/unix does not
// offer without cgo.
//
// On other systems ReadProcess returns an empty Process and no error.
func ReadProcess() (Process, error) {
	return readProcess()
}
