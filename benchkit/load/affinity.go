package load

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// maxCPU bounds CPU numbers in lists: Linux's CONFIG_NR_CPUS is at most
// 8192, and a bound keeps "0-4000000000" from allocating a huge slice.
const maxCPU = 8192

// ParseCPUList parses a CPU list in the Linux kernel's format
// (Documentation/admin-guide/cgroup-v1/cpusets.rst, as in taskset -c and
// /sys/devices/system/cpu/online): comma-separated numbers and ranges,
// "0-3,8,10-11". It returns the CPUs sorted, without duplicates.
func ParseCPUList(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, &ConfigError{"cpus", "empty CPU list"}
	}
	var cpus []int
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := parseCPU(lo)
		if err != nil {
			return nil, err
		}
		b := a
		if isRange {
			if b, err = parseCPU(hi); err != nil {
				return nil, err
			}
			if b < a {
				return nil, &ConfigError{"cpus", fmt.Sprintf("range %q runs backwards", part)}
			}
		}
		for c := a; c <= b; c++ {
			cpus = append(cpus, c)
		}
	}
	slices.Sort(cpus)
	return slices.Compact(cpus), nil
}

func parseCPU(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n >= maxCPU {
		return 0, &ConfigError{"cpus", fmt.Sprintf("%q is not a CPU number in [0, %d)", s, maxCPU)}
	}
	return n, nil
}

// FormatCPUList formats sorted CPU numbers as ParseCPUList reads them.
func FormatCPUList(cpus []int) string {
	var b strings.Builder
	for i := 0; i < len(cpus); {
		j := i
		for j+1 < len(cpus) && cpus[j+1] == cpus[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(cpus[i]))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(cpus[j]))
		}
		i = j + 1
	}
	return b.String()
}
