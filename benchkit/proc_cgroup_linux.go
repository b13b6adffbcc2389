//go:build linux

package benchkit

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// A treeCgroup is a memory cgroup made for one run, whose peak usage is
// the peak of the whole process tree: every descendant of a process
// stays in its cgroup unless it moves itself. The figure is charged
// memory, which includes page cache the tree brought in (files read and
// written), not only resident anonymous memory.
//
// cgroup v2 reports it in memory.peak (Linux 5.19+); cgroup v1's memory
// controller in memory.max_usage_in_bytes. Both are used as found:
// on a hybrid system (v1 memory controller, v2 mounted without it) v1
// is the only one that can answer.
type treeCgroup struct {
	dir      string // this run's cgroup directory
	peakFile string
}

// A cgroupParent is where per-run cgroups are made.
type cgroupParent struct {
	dir      string
	peakFile string // memory.peak or memory.max_usage_in_bytes
	label    string // what the figure is, for a config line
}

var cgroupSeq atomic.Int64

// findCgroupParent returns the memory cgroup this process is in when a
// child cgroup can be made there (as root, or with delegation), or nil
// and the reason it cannot.
func findCgroupParent() (*cgroupParent, string) {
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err.Error()
	}
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, err.Error()
	}
	v2, v1 := cgroupMounts(mounts)
	paths := ownCgroups(own)
	var reasons []string
	if v2 != "" {
		dir := filepath.Join(v2, paths["0::"])
		if p, why := tryCgroup(dir, "memory.peak"); p != nil {
			p.label = "cgroup v2 memory.peak of the run's own cgroup (whole process tree, includes page cache)"
			return p, ""
		} else {
			reasons = append(reasons, "cgroup v2: "+why)
		}
	}
	if v1 != "" {
		dir := filepath.Join(v1, paths["memory"])
		if p, why := tryCgroup(dir, "memory.max_usage_in_bytes"); p != nil {
			p.label = "cgroup v1 memory.max_usage_in_bytes of the run's own cgroup (whole process tree, includes page cache)"
			return p, ""
		} else {
			reasons = append(reasons, "cgroup v1: "+why)
		}
	}
	if len(reasons) == 0 {
		return nil, "no cgroup memory controller mounted"
	}
	return nil, strings.Join(reasons, "; ")
}

// tryCgroup makes and removes a child of dir to see whether it has the
// peak file.
func tryCgroup(dir, peakFile string) (*cgroupParent, string) {
	probe := filepath.Join(dir, fmt.Sprintf("benchkit-probe-%d", os.Getpid()))
	if err := os.Mkdir(probe, 0o755); err != nil {
		return nil, err.Error()
	}
	defer os.Remove(probe)
	if _, err := os.Stat(filepath.Join(probe, peakFile)); err != nil {
		return nil, peakFile + " absent (memory controller not enabled there)"
	}
	return &cgroupParent{dir: dir, peakFile: peakFile}, ""
}

// cgroupMounts finds the cgroup2 mount and the cgroup v1 mount carrying
// the memory controller in a mountinfo file (proc(5)): field 5 is the
// mount point; after the " - " separator come the type, the source and
// the super options.
func cgroupMounts(mountinfo []byte) (v2, v1memory string) {
	sc := bufio.NewScanner(bytes.NewReader(mountinfo))
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		f, g := strings.Fields(pre), strings.Fields(post)
		if len(f) < 5 || len(g) < 3 {
			continue
		}
		switch g[0] {
		case "cgroup2":
			if v2 == "" {
				v2 = f[4]
			}
		case "cgroup":
			for _, o := range strings.Split(g[2], ",") {
				if o == "memory" && v1memory == "" {
					v1memory = f[4]
				}
			}
		}
	}
	return v2, v1memory
}

// ownCgroups maps "0::" (v2) and each v1 controller name to this
// process's path in /proc/self/cgroup ("hierarchy-ID:controllers:path").
func ownCgroups(b []byte) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		id, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		ctrls, path, ok := strings.Cut(rest, ":")
		if !ok {
			continue
		}
		if id == "0" && ctrls == "" {
			m["0::"] = path
			continue
		}
		for _, c := range strings.Split(ctrls, ",") {
			m[c] = path
		}
	}
	return m
}

// newRun makes the cgroup for one run.
func (p *cgroupParent) newRun() (*treeCgroup, error) {
	dir := filepath.Join(p.dir, fmt.Sprintf("benchkit-%d-%d", os.Getpid(), cgroupSeq.Add(1)))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, err
	}
	return &treeCgroup{dir: dir, peakFile: p.peakFile}, nil
}

// join moves pid into the cgroup. It is called while pid is stopped
// right after its execve, before it has run any code of its own.
func (t *treeCgroup) join(pid int) {
	os.WriteFile(filepath.Join(t.dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0)
}

// peak reads the peak, in bytes, or 0.
func (t *treeCgroup) peak() int64 {
	b, err := os.ReadFile(filepath.Join(t.dir, t.peakFile))
	if err != nil {
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// remove deletes the run's cgroup once its processes are gone; killed
// processes leave it a moment after they are reaped.
func (t *treeCgroup) remove() error {
	var err error
	for i := 0; i < 50; i++ {
		if err = os.Remove(t.dir); err == nil {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return err
}
