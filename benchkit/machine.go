package benchkit

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"
)

// A MachineState records what spoils a comparison, in the spirit of
// pyperf's "system show": frequency scaling, load, heat, power source
// and, on Apple Silicon, which cores run the work. Unknown facts are
// zero. Config turns it into machine-* and warn-* configuration keys
// (KEYS.md) for the results.
type MachineState struct {
	Governor string // CPU frequency governor, such as "performance" (Linux)
	Boost    string // "on" or "off": turbo/boost frequencies (Linux)
	LoadAvg  [3]float64
	NumCPU   int
	// Busy lists other processes that used much CPU while the state was
	// read, as "name(pid) 85%".
	Busy      []string
	Throttled bool   // thermal throttling seen
	Thermal   string // what the thermal evidence was
	OnBattery bool
	Power     string // "ac", "battery" or "" when unknown
	PCores    int    // Apple Silicon performance cores
	ECores    int    // Apple Silicon efficiency cores
	QoS       string // the QoS class benchmarks run with (macOS)
	Warnings  []string
}

// ReadMachineState reads the running machine's state. It takes about a
// quarter of a second on Linux, where busy processes are found by
// sampling their CPU time twice.
func ReadMachineState(ctx context.Context) (*MachineState, error) {
	s := &MachineState{NumCPU: runtime.NumCPU()}
	if err := readMachineState(ctx, s); err != nil {
		return nil, err
	}
	s.warn()
	return s, nil
}

// warn derives Warnings from the facts.
func (s *MachineState) warn() {
	if s.Governor != "" && s.Governor != "performance" {
		s.Warnings = append(s.Warnings, fmt.Sprintf("CPU frequency governor is %s, not performance", s.Governor))
	}
	if s.Boost == "on" {
		s.Warnings = append(s.Warnings, "CPU boost (turbo) is on: frequency depends on temperature and on how many cores are busy")
	}
	if s.NumCPU > 0 && s.LoadAvg[0] > float64(s.NumCPU)/2 {
		s.Warnings = append(s.Warnings, fmt.Sprintf("load average %.2f on %d CPUs: other work competes with the benchmarks", s.LoadAvg[0], s.NumCPU))
	}
	if len(s.Busy) > 0 {
		s.Warnings = append(s.Warnings, "busy processes: "+strings.Join(s.Busy, ", "))
	}
	if s.Throttled {
		s.Warnings = append(s.Warnings, "thermal throttling: "+s.Thermal)
	}
	if s.OnBattery {
		s.Warnings = append(s.Warnings, "running on battery: the OS may lower performance to save power")
	}
	if s.PCores > 0 && s.ECores > 0 {
		s.Warnings = append(s.Warnings, fmt.Sprintf("%d performance and %d efficiency cores: macOS has no hard CPU affinity, QoS only biases work toward P cores, so a run can land on E cores", s.PCores, s.ECores))
	}
}

// Config returns the state as file configuration: machine-* facts and
// one warn-* sentence per warning.
func (s *MachineState) Config() []benchfmt.Config {
	var c []benchfmt.Config
	add := func(k, v string) {
		if v != "" {
			c = append(c, fileConfig(k, v))
		}
	}
	add("machine-governor", s.Governor)
	add("machine-boost", s.Boost)
	add("machine-loadavg", strconv.FormatFloat(s.LoadAvg[0], 'f', 2, 64))
	add("machine-power", s.Power)
	if s.Thermal != "" {
		add("machine-throttled", strconv.FormatBool(s.Throttled))
	}
	if s.PCores > 0 {
		add("machine-pcores", strconv.Itoa(s.PCores))
		add("machine-ecores", strconv.Itoa(s.ECores))
	}
	add("machine-qos", s.QoS)
	for i, w := range s.Warnings {
		add("warn-machine-"+strconv.Itoa(i+1), w)
	}
	return c
}

// parseLoadAvg reads the first three fields of /proc/loadavg, or of
// macOS's "{ 1.23 1.05 0.98 }" (sysctl vm.loadavg).
func parseLoadAvg(s string) (l [3]float64, ok bool) {
	f := strings.Fields(strings.Trim(strings.TrimSpace(s), "{}"))
	if len(f) < 3 {
		return l, false
	}
	for i := range 3 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil || v < 0 {
			return l, false
		}
		l[i] = v
	}
	return l, true
}

// parsePmsetBatt reads `pmset -g batt`, whose first line is
// "Now drawing from 'AC Power'" or "... 'Battery Power'".
func parsePmsetBatt(out string) (power string, ok bool) {
	line, _, _ := strings.Cut(out, "\n")
	switch {
	case strings.Contains(line, "'Battery Power'"):
		return "battery", true
	case strings.Contains(line, "'AC Power'"):
		return "ac", true
	}
	return "", false
}

// parsePmsetTherm reads `pmset -g therm`: "CPU_Speed_Limit = 100" is
// unthrottled; a lower limit, or a recorded thermal warning level other
// than "No thermal warning level has been recorded", is throttling.
func parsePmsetTherm(out string) (throttled bool, evidence string) {
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if k, v, ok := strings.Cut(line, "="); ok && strings.TrimSpace(k) == "CPU_Speed_Limit" {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err == nil && n < 100 {
				return true, "pmset: CPU_Speed_Limit = " + strconv.Itoa(n)
			}
		}
		if strings.Contains(line, "thermal warning level") && !strings.Contains(line, "No thermal warning level") {
			return true, "pmset: " + line
		}
	}
	return false, "pmset -g therm"
}

// parseStatTicks reads comm and utime+stime (fields 14 and 15, proc(5))
// from a /proc/<pid>/stat line. comm may hold spaces and parentheses,
// so fields are counted after its last ')'.
func parseStatTicks(stat string) (name string, ticks int64, ok bool) {
	open, close := strings.IndexByte(stat, '('), strings.LastIndexByte(stat, ')')
	if open < 0 || close < open {
		return "", 0, false
	}
	f := strings.Fields(stat[close+1:])
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return "", 0, false
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return "", 0, false
	}
	return stat[open+1 : close], u + s, true
}
