//go:build linux

package benchkit

import (
	"testing"
	"testing/fstest"
)

func TestLinuxMachine(t *testing.T) {
	fsys := fstest.MapFS{
		"proc/loadavg": {Data: []byte("3.50 2.00 1.00 3/200 1234\n")},
		"sys/devices/system/cpu/cpufreq/policy0/scaling_governor": {Data: []byte("powersave\n")},
		"sys/devices/system/cpu/cpufreq/policy1/scaling_governor": {Data: []byte("powersave\n")},
		"sys/devices/system/cpu/intel_pstate/no_turbo":            {Data: []byte("0\n")},
		"sys/class/thermal/cooling_device0/type":                  {Data: []byte("Processor\n")},
		"sys/class/thermal/cooling_device0/cur_state":             {Data: []byte("3\n")},
		"sys/class/power_supply/BAT0/type":                        {Data: []byte("Battery\n")},
		"sys/class/power_supply/BAT0/status":                      {Data: []byte("Discharging\n")},
	}
	s := &MachineState{NumCPU: 4}
	linuxMachine(fsys, s)
	s.warn()
	if s.Governor != "powersave" || s.Boost != "on" || !s.Throttled || !s.OnBattery || s.LoadAvg[0] != 3.5 {
		t.Errorf("got %+v", s)
	}
	if len(s.Warnings) != 5 {
		t.Errorf("%d warnings, want 5 (governor, boost, load, thermal, battery): %q", len(s.Warnings), s.Warnings)
	}
}
