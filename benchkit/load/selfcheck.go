package load

import (
	"fmt"
	"runtime"
	"slices"
	"time"
)

// Generator is the generator's check on itself over a run's measured time:
// a load generator that is short of CPU measures itself, not the target.
type Generator struct {
	// CPU is the processor time (user and system) this process used.
	CPU time.Duration
	// CPUs is the number of CPUs the generator could use (GOMAXPROCS);
	// Utilization is CPU divided by CPUs and the measured wall time.
	CPUs        int
	Utilization float64
	// SchedLatencyP50 and SchedLatencyP99 are the Go scheduler's latency
	// (the time runnable goroutines waited for a CPU) from runtime/metrics.
	SchedLatencyP50 time.Duration
	SchedLatencyP99 time.Duration
	// Saturated reports that the generator may have been the bottleneck;
	// Warnings says why, and also carries warnings that do not make it
	// saturated (sharing CPUs with the server).
	Saturated bool
	Warnings  []string
	// SharedCPUs lists the CPUs the generator may share with the server
	// (Config.ServerPID), when that could be found out.
	SharedCPUs []int
	// Loops is the number of event loops that drove the connections (a
	// closed loop over the raw HTTP/1.1 path, on Linux), 0 when each
	// connection had a goroutine of its own. LoopBusy is the largest share
	// of the run one of them spent working rather than waiting for events:
	// a loop busy all the time is the bottleneck, whatever the CPU use.
	Loops    int
	LoopBusy float64
	// Polled is the CPU time the event loops spent polling for events
	// before they blocked (under load, the next response is usually a
	// few microseconds away). It is part of CPU; the check for a CPU-bound
	// generator leaves it out, since a loop busy with work polls no more.
	Polled time.Duration
}

// saturationUtilization is the share of its CPUs above which the generator
// counts as CPU-bound: a little below 1 because the measured window also
// holds idle moments at its start and end.
const saturationUtilization = 0.9

type selfCheck struct {
	wall0, wall1 time.Time
	cpu0, cpu1   time.Duration
	cpuErr       error
	sched0       schedSample
	sched1       schedSample
}

func (s *selfCheck) start(Config) {
	s.wall0 = time.Now()
	s.cpu0, s.cpuErr = processCPU()
	s.sched0.read()
}

func (s *selfCheck) finish() {
	s.wall1 = time.Now()
	var err error
	s.cpu1, err = processCPU()
	if s.cpuErr == nil {
		s.cpuErr = err
	}
	s.sched1.read()
}

// report returns the self-check's findings; polled is the event loops'
// time spent polling (Generator.Polled).
func (s *selfCheck) report(cfg Config, polled time.Duration) Generator {
	g := Generator{CPUs: runtime.GOMAXPROCS(0), Polled: polled}
	wall := s.wall1.Sub(s.wall0)
	if s.cpuErr != nil {
		g.Warnings = append(g.Warnings, fmt.Sprintf("cannot measure the generator's CPU time: %v", s.cpuErr))
	} else {
		g.CPU = max(s.cpu1-s.cpu0, 0)
		if wall > 0 {
			g.Utilization = g.CPU.Seconds() / wall.Seconds() / float64(g.CPUs)
		}
		working := g.Utilization
		if wall > 0 && polled > 0 {
			working = max(g.CPU-polled, 0).Seconds() / wall.Seconds() / float64(g.CPUs)
		}
		if working >= saturationUtilization {
			g.Saturated = true
			g.Warnings = append(g.Warnings, fmt.Sprintf("the generator used %.0f%% of its %d CPUs: it may be the bottleneck",
				100*working, g.CPUs))
		}
	}
	g.SchedLatencyP50, g.SchedLatencyP99 = s.sched1.delta(&s.sched0)
	if g.SchedLatencyP99 > cfg.SchedLatencyLimit {
		g.Saturated = true
		g.Warnings = append(g.Warnings, fmt.Sprintf("the generator's goroutines waited %v (p99) for a CPU, above %v: it may be the bottleneck",
			g.SchedLatencyP99, cfg.SchedLatencyLimit))
	}
	if cfg.ServerPID > 0 {
		shared, err := SharedCPUs(cfg.ServerPID)
		switch {
		case err != nil:
			g.Warnings = append(g.Warnings, fmt.Sprintf("cannot tell whether the generator shares CPUs with the server: %v", err))
		case len(shared) > 0:
			g.SharedCPUs = shared
			g.Warnings = append(g.Warnings, fmt.Sprintf("the generator shares CPUs %s with the server (pid %d)",
				FormatCPUList(shared), cfg.ServerPID))
		}
	}
	return g
}

// addLoops adds the event loops' part of the self-check.
func (g *Generator) addLoops(workers []*worker) {
	for _, w := range workers {
		if w.loopSpan > 0 {
			g.Loops++
			g.LoopBusy = max(g.LoopBusy, float64(w.loopBusy)/float64(w.loopSpan))
		}
	}
	if g.LoopBusy >= saturationUtilization {
		g.Saturated = true
		g.Warnings = append(g.Warnings, fmt.Sprintf("an event loop was busy %.0f%% of the time: the generator may be the bottleneck",
			100*g.LoopBusy))
	}
}

// SharedCPUs returns the CPUs both this process and process pid may run
// on. Where the operating system has no hard affinity it returns
// ErrNoAffinity.
func SharedCPUs(pid int) ([]int, error) {
	mine, err := Affinity(0)
	if err != nil {
		return nil, err
	}
	theirs, err := Affinity(pid)
	if err != nil {
		return nil, err
	}
	var shared []int
	for _, c := range mine {
		if slices.Contains(theirs, c) {
			shared = append(shared, c)
		}
	}
	return shared, nil
}
