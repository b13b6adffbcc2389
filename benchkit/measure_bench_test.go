//go:build unix

package benchkit

import (
	"slices"
	"syscall"
	"testing"
	"time"
)

// BenchmarkRunProcTrue is the cost of one measured run of /bin/true,
// with and without the exit-time high-water mark (from taskstats where
// this process may use it, else ptrace; or ptrace forced) and the tree
// cgroup.
func BenchmarkRunProcTrue(b *testing.B) {
	mustMeasureProcesses(b)
	parent, _ := findCgroupParent()
	for _, bc := range []struct {
		name   string
		trace  bool
		ptrace bool
		tree   bool
	}{{"plain", false, false, false}, {"exithwm", true, false, false}, {"vmhwm-ptrace", true, true, false}, {"vmhwm+cgroup", true, false, true}} {
		b.Run(bc.name, func(b *testing.B) {
			if bc.tree && parent == nil {
				b.Skip("no memory cgroup")
			}
			if bc.ptrace {
				withoutTaskstats(b)
			}
			b.ReportAllocs()
			var walls []time.Duration
			cpu0 := selfCPU()
			for b.Loop() {
				s := &procSpec{args: []string{"/bin/true"}, exitHWM: bc.trace}
				if bc.tree {
					t, err := parent.newRun()
					if err != nil {
						b.Fatal(err)
					}
					s.tree = t
				}
				p, err := runProc(b.Context(), s)
				if err != nil {
					b.Fatal(err)
				}
				walls = append(walls, p.wall)
				if s.tree != nil {
					s.tree.remove()
				}
			}
			// What the run is measured to take, beside what it costs:
			// ns/op less this is the measurement's own overhead.
			// The measuring process's own CPU time per run (children's
			// excluded) is its overhead as the machine's load leaves it.
			b.ReportMetric(float64(selfCPU()-cpu0)/float64(len(walls)), "self-cpu-ns/op")
			slices.Sort(walls)
			b.ReportMetric(float64(walls[len(walls)/2]), "wall-median-ns")
		})
	}
}

// selfCPU returns this process's user and system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
