package benchkit

import (
	"testing"
)

// BenchmarkRunProcTrue is the cost of one measured run of /bin/true,
// with and without the exit-time VmHWM (ptrace) and the tree cgroup.
func BenchmarkRunProcTrue(b *testing.B) {
	mustMeasureProcesses(b)
	parent, _ := findCgroupParent()
	for _, bc := range []struct {
		name  string
		trace bool
		tree  bool
	}{{"plain", false, false}, {"vmhwm", true, false}, {"vmhwm+cgroup", true, true}} {
		b.Run(bc.name, func(b *testing.B) {
			if bc.tree && parent == nil {
				b.Skip("no memory cgroup")
			}
			b.ReportAllocs()
			for b.Loop() {
				s := &procSpec{args: []string{"/bin/true"}, exitHWM: bc.trace}
				if bc.tree {
					t, err := parent.newRun()
					if err != nil {
						b.Fatal(err)
					}
					s.tree = t
				}
				if _, err := runProc(b.Context(), s); err != nil {
					b.Fatal(err)
				}
				if s.tree != nil {
					s.tree.remove()
				}
			}
		})
	}
}
