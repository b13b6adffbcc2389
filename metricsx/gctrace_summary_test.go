package metricsx_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/nativego/nativego/metricsx"
)

func TestSummarizeGCTrace(t *testing.T) {
	cycles := []metricsx.GCCycle{{
		N: 1, At: 100 * time.Millisecond, Procs: 2,
		SweepTermClock: ms(1), MarkClock: ms(10), MarkTermClock: ms(1),
		SweepTermCPU: ms(2), AssistCPU: ms(1), BackgroundCPU: ms(3), IdleCPU: ms(1), MarkTermCPU: ms(2),
		HeapStartMB: 4, HeapEndMB: 6, HeapLiveMB: 2,
	}, {
		N: 2, At: 200 * time.Millisecond, Procs: 2, Forced: true, CPUPercent: 3,
		SweepTermClock: ms(2), MarkClock: ms(10), MarkTermClock: ms(2),
		SweepTermCPU: ms(4), BackgroundCPU: ms(3), MarkTermCPU: ms(4),
		HeapStartMB: 8, HeapEndMB: 10, HeapLiveMB: 3,
	}, {
		// Cycle 3's line was lost: this pair gives no rates.
		N: 4, At: 400 * time.Millisecond, Procs: 2, CPUPercent: 4,
		SweepTermClock: ms(3), MarkClock: ms(1), MarkTermClock: ms(5),
		HeapStartMB: 30, HeapEndMB: 31, HeapLiveMB: 1,
	}}
	// The one pair, cycles 1 and 2: from the end of cycle 1 (112 ms)
	// to the end of cycle 2 (214 ms); heap grew by 8-2 MiB before
	// cycle 2 and by 10-8 MiB during it; cycle 2 cost 11 ms of CPU out
	// of 2×102 ms.
	elapsed := 102 * time.Millisecond
	want := metricsx.GCTraceSummary{
		Cycles: 3, Forced: 1, Breaks: 1,
		Elapsed:         elapsed,
		CyclesPerSecond: 1 / elapsed.Seconds(),
		// Pauses 1, 1, 2, 2, 3, 5 ms.
		PauseP50: ms(2), PauseP99: ms(5), PauseMax: ms(5), PauseTotal: ms(14),
		GCCPU:               ms(8 + 11),
		CPUShare:            0.011 / (2 * elapsed.Seconds()),
		RuntimeCPUPercent:   4,
		AllocBytesPerSecond: 8 << 20 / elapsed.Seconds(),
		PeakHeapMB:          31, MaxProcs: 2,
	}
	got := metricsx.SummarizeGCTrace(cycles)
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(1e-9, 0)); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if diff := cmp.Diff(metricsx.GCTraceSummary{}, metricsx.SummarizeGCTrace(nil)); diff != "" {
		t.Errorf("no cycles (-want +got)\n%s", diff)
	}
}

// TestSummarizeGCTraceCapture summarizes a real trace and checks the
// summary against the cycles themselves.
func TestSummarizeGCTraceCapture(t *testing.T) {
	for _, c := range readCaptures(t) {
		cycles, _, err := scanAll(c.trace)
		if err != nil {
			t.Fatal(err)
		}
		s := metricsx.SummarizeGCTrace(cycles)
		var maxPause time.Duration
		for _, cy := range cycles {
			maxPause = max(maxPause, cy.SweepTermClock, cy.MarkTermClock)
		}
		if s.PauseMax != maxPause || s.Breaks != 0 || s.Cycles != len(cycles) {
			t.Errorf("%s: summary %+v; want PauseMax %v, no breaks, %d cycles", c.name, s, maxPause, len(cycles))
		}
		if s.CPUShare <= 0 || s.CPUShare >= 1 || s.AllocBytesPerSecond <= 0 || s.PauseP50 > s.PauseP99 {
			t.Errorf("%s: implausible summary %+v", c.name, s)
		}
	}
}
