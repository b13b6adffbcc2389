//go:build linux

package benchkit

import (
	"context"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

func readMachineState(ctx context.Context, s *MachineState) error {
	fsys := os.DirFS("/")
	linuxMachine(fsys, s)
	busy, err := busyProcesses(ctx, fsys, os.Getpid(), 200*time.Millisecond)
	if err != nil {
		return err
	}
	s.Busy = busy
	return nil
}

// linuxMachine reads the sysfs and procfs facts from fsys, a view of
// "/".
func linuxMachine(fsys fs.FS, s *MachineState) {
	read := func(name string) string {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(b))
	}
	if l, ok := parseLoadAvg(read("proc/loadavg")); ok {
		s.LoadAvg = l
	}
	// The governor of every policy; mixed governors are reported as a
	// list.
	govs := map[string]bool{}
	policies, _ := fs.Glob(fsys, "sys/devices/system/cpu/cpufreq/policy*/scaling_governor")
	for _, p := range policies {
		if g := read(p); g != "" {
			govs[g] = true
		}
	}
	var list []string
	for g := range govs {
		list = append(list, g)
	}
	sort.Strings(list)
	s.Governor = strings.Join(list, ",")
	// Boost: intel_pstate's no_turbo (1 = off), or the generic
	// cpufreq boost switch (1 = on).
	if v := read("sys/devices/system/cpu/intel_pstate/no_turbo"); v != "" {
		s.Boost = map[string]string{"0": "on", "1": "off"}[v]
	} else if v := read("sys/devices/system/cpu/cpufreq/boost"); v != "" {
		s.Boost = map[string]string{"1": "on", "0": "off"}[v]
	}
	// Thermal: any processor cooling device engaged, or a non-zero
	// core throttle count.
	devs, _ := fs.Glob(fsys, "sys/class/thermal/cooling_device*")
	for _, d := range devs {
		typ := read(d + "/type")
		if typ != "Processor" && !strings.Contains(strings.ToLower(typ), "cpu") {
			continue
		}
		s.Thermal = "cooling devices"
		if cur := read(d + "/cur_state"); cur != "" && cur != "0" {
			s.Throttled, s.Thermal = true, d+" ("+typ+") cur_state "+cur
		}
	}
	counts, _ := fs.Glob(fsys, "sys/devices/system/cpu/cpu*/thermal_throttle/core_throttle_count")
	for _, c := range counts {
		s.Thermal = "thermal_throttle counts"
		if n := read(c); n != "" && n != "0" {
			s.Throttled, s.Thermal = true, c+" = "+n
			break
		}
	}
	// Power: a battery discharging, or mains offline.
	supplies, _ := fs.Glob(fsys, "sys/class/power_supply/*")
	for _, p := range supplies {
		switch read(p + "/type") {
		case "Battery":
			if read(p+"/status") == "Discharging" {
				s.OnBattery, s.Power = true, "battery"
			} else if s.Power == "" {
				s.Power = "ac"
			}
		case "Mains":
			if read(p+"/online") == "0" && s.Power == "" {
				s.OnBattery, s.Power = true, "battery"
			} else if s.Power == "" {
				s.Power = "ac"
			}
		}
	}
}

// busyProcesses samples every process's CPU time (utime+stime from
// /proc/<pid>/stat) twice, window apart, and names those that used more
// than a quarter of a CPU, busiest first, at most five.
func busyProcesses(ctx context.Context, fsys fs.FS, self int, window time.Duration) ([]string, error) {
	first := cpuTimes(fsys)
	t := time.NewTimer(window)
	select {
	case <-ctx.Done():
		t.Stop()
		return nil, ctx.Err()
	case <-t.C:
	}
	second := cpuTimes(fsys)
	type busy struct {
		name string
		pct  float64
	}
	var list []busy
	const ticks = 100 // USER_HZ, fixed at 100 for /proc's clock ticks on every architecture Go supports
	for pid, b := range second {
		a, ok := first[pid]
		if !ok || pid == self {
			continue
		}
		pct := float64(b.ticks-a.ticks) / ticks / window.Seconds() * 100
		if pct > 25 {
			list = append(list, busy{b.name + "(" + strconv.Itoa(pid) + ") " + strconv.Itoa(int(pct)) + "%", pct})
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].pct > list[j].pct })
	var out []string
	for i, b := range list {
		if i == 5 {
			break
		}
		out = append(out, b.name)
	}
	return out, nil
}

type procTicks struct {
	name  string
	ticks int64
}

func cpuTimes(fsys fs.FS) map[int]procTicks {
	m := map[int]procTicks{}
	ents, _ := fs.ReadDir(fsys, "proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := fs.ReadFile(fsys, "proc/"+e.Name()+"/stat")
		if err != nil {
			continue
		}
		if name, t, ok := parseStatTicks(string(b)); ok {
			m[pid] = procTicks{name, t}
		}
	}
	return m
}
