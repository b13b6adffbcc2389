//go:build linux

package benchkit

import (
	"testing"
)

// Recorded on the development machine: a hybrid hierarchy, with the
// memory controller on cgroup v1 and cgroup v2 mounted without it.
const (
	hybridMountinfo = `30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 30 0:36 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`
	hybridCgroup = `9:name=systemd:/
4:memory:/process_api/bfcad44931f2ca9c949a9c9f90608e98
1:cpu:/
0::/
`
)

func TestCgroupFiles(t *testing.T) {
	v2, v1 := cgroupMounts([]byte(hybridMountinfo))
	if v2 != "/sys/fs/cgroup/unified" || v1 != "/sys/fs/cgroup/memory" {
		t.Errorf("mounts: v2 %q v1 memory %q", v2, v1)
	}
	own := ownCgroups([]byte(hybridCgroup))
	if own["0::"] != "/" || own["memory"] != "/process_api/bfcad44931f2ca9c949a9c9f90608e98" {
		t.Errorf("own cgroups: %v", own)
	}
}

func FuzzCgroupFiles(f *testing.F) {
	f.Add(hybridMountinfo, hybridCgroup)
	f.Add("25 1 0:22 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n", "0::/user.slice/session-1.scope\n")
	f.Fuzz(func(t *testing.T, mountinfo, cgroup string) {
		cgroupMounts([]byte(mountinfo))
		ownCgroups([]byte(cgroup))
	})
}
