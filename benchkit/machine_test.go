package benchkit

import (
	"strings"
	"testing"
)

// Recorded on a MacBook Pro (M1 Pro), macOS 14.5.
const (
	pmsetBattAC = `Now drawing from 'AC Power'
 -InternalBattery-0 (id=4653155)	100%; charged; 0:00 remaining present: true
`
	pmsetBattBattery = `Now drawing from 'Battery Power'
 -InternalBattery-0 (id=4653155)	87%; discharging; 9:41 remaining present: true
`
	pmsetThermOK = `Note: No thermal warning level has been recorded
Note: No performance warning level has been recorded
Note: No CPU power status has been recorded
`
	pmsetThermHot = `CPU_Scheduler_Limit 	= 100
CPU_Available_CPUs 	= 10
CPU_Speed_Limit 	= 70
`
)

func TestPmset(t *testing.T) {
	for _, tt := range []struct {
		out, want string
	}{{pmsetBattAC, "ac"}, {pmsetBattBattery, "battery"}, {"garbage", ""}} {
		if got, _ := parsePmsetBatt(tt.out); got != tt.want {
			t.Errorf("parsePmsetBatt(%q) = %q, want %q", tt.out, got, tt.want)
		}
	}
	if th, _ := parsePmsetTherm(pmsetThermOK); th {
		t.Error("no warning level recorded read as throttled")
	}
	if th, ev := parsePmsetTherm(pmsetThermHot); !th || !strings.Contains(ev, "70") {
		t.Errorf("CPU_Speed_Limit = 70: throttled %v (%s)", th, ev)
	}
}

// TestMachineStateAppleSilicon runs the warnings of a recorded Apple
// Silicon laptop on battery.
func TestMachineStateAppleSilicon(t *testing.T) {
	s := &MachineState{NumCPU: 10, PCores: 8, ECores: 2, QoS: "default"}
	s.Power, _ = parsePmsetBatt(pmsetBattBattery)
	s.OnBattery = s.Power == "battery"
	s.Throttled, s.Thermal = parsePmsetTherm(pmsetThermHot)
	s.LoadAvg, _ = parseLoadAvg("{ 7.20 5.10 4.00 }")
	s.warn()
	all := strings.Join(s.Warnings, "\n")
	for _, want := range []string{"battery", "no hard CPU affinity", "CPU_Speed_Limit = 70", "load average 7.20"} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings lack %q:\n%s", want, all)
		}
	}
	cfg := s.Config()
	keys := map[string]string{}
	for _, c := range cfg {
		if !c.File {
			t.Errorf("%s is not file configuration", c.Key)
		}
		keys[c.Key] = string(c.Value)
	}
	if keys["machine-pcores"] != "8" || keys["machine-ecores"] != "2" || keys["machine-power"] != "battery" || keys["warn-machine-1"] == "" {
		t.Errorf("config %v", keys)
	}
}

func TestParseStatTicks(t *testing.T) {
	// comm with a space and a parenthesis, as a process may name itself.
	stat := "1234 (my (odd) prog) R 1 1234 1234 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 1 0 100 1000 10"
	name, ticks, ok := parseStatTicks(stat)
	if !ok || name != "my (odd) prog" || ticks != 300 {
		t.Errorf("got %q %d %v", name, ticks, ok)
	}
	for _, bad := range []string{"", "1234 (x", "1 (x) R 1 2"} {
		if _, _, ok := parseStatTicks(bad); ok {
			t.Errorf("parseStatTicks(%q) ok", bad)
		}
	}
}

func FuzzMachineParsers(f *testing.F) {
	for _, s := range []string{pmsetBattAC, pmsetBattBattery, pmsetThermOK, pmsetThermHot, "0.5 0.4 0.3 1/2 3", "{ 1.0 2.0 3.0 }"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		parsePmsetBatt(s)
		parsePmsetTherm(s)
		parseLoadAvg(s)
		parseHWM([]byte(s))
		parseStatTicks(s)
	})
}
