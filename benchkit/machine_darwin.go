package benchkit

import (
	"context"
	"os/exec"

	"golang.org/x/sys/unix"
)

func readMachineState(ctx context.Context, s *MachineState) error {
	if b, err := unix.SysctlRaw("vm.loadavg"); err == nil && len(b) >= 3*4 {
		// struct loadavg { fixpt_t ldavg[3]; long fscale; }
		// (sys/resource.h); fscale follows the three 32-bit values,
		// aligned to 8 bytes.
		if len(b) >= 24 {
			fscale := float64(uint64(b[16]) | uint64(b[17])<<8 | uint64(b[18])<<16 | uint64(b[19])<<24)
			if fscale > 0 {
				for i := range 3 {
					v := uint32(b[4*i]) | uint32(b[4*i+1])<<8 | uint32(b[4*i+2])<<16 | uint32(b[4*i+3])<<24
					s.LoadAvg[i] = float64(v) / fscale
				}
			}
		}
	}
	if n, err := unix.SysctlUint32("hw.nperflevels"); err == nil && n >= 2 {
		p, _ := unix.SysctlUint32("hw.perflevel0.physicalcpu")
		e, _ := unix.SysctlUint32("hw.perflevel1.physicalcpu")
		s.PCores, s.ECores = int(p), int(e)
		// Processes started by a terminal run at the default QoS;
		// benchkit does not change it.
		s.QoS = "default (user-initiated for terminal-started processes)"
	}
	if out, err := exec.CommandContext(ctx, "pmset", "-g", "batt").Output(); err == nil {
		if p, ok := parsePmsetBatt(string(out)); ok {
			s.Power, s.OnBattery = p, p == "battery"
		}
	}
	if out, err := exec.CommandContext(ctx, "pmset", "-g", "therm").Output(); err == nil {
		s.Throttled, s.Thermal = parsePmsetTherm(string(out))
	}
	return nil
}
