package metricsx_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/nativego/nativego/metricsx"
)

// A program's standard error, with one gctrace line torn by the
// program's own output.
const stderrExample = `starting
gc 1 @0.054s 5%: 6.4+0.97+0.005 ms clock, 12+0.67/0/0+0.011 ms cpu, 3->4->3 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P
gc 2 @0.067s 6%: 0.14+0.73+0.003 ms clock, 0.28+listening on :8080
0.65/0.46/0.23+0.006 ms cpu, 7->7->7 MB, 7 MB goal, 0 MB stacks, 0 MB globals, 2 P (forced)
`

func ExampleGCTraceReader() {
	r := metricsx.NewGCTraceReader(strings.NewReader(stderrExample), os.Stdout)
	var cycles []metricsx.GCCycle
	for r.Scan() {
		c := r.Cycle()
		fmt.Printf("cycle %d at %v: pause %v, heap %d->%d MB, forced %v, repaired %v\n",
			c.N, c.At, c.Pause(), c.HeapStartMB, c.HeapEndMB, c.Forced, c.Repaired)
		cycles = append(cycles, c)
	}
	if err := r.Err(); err != nil {
		fmt.Println(err)
	}
	s := metricsx.SummarizeGCTrace(cycles)
	fmt.Printf("%d cycles, pause max %v\n", s.Cycles, s.PauseMax)
	// Output:
	// starting
	// cycle 1 at 54ms: pause 6.405ms, heap 3->4 MB, forced false, repaired false
	// listening on :8080
	// cycle 2 at 67ms: pause 143µs, heap 7->7 MB, forced true, repaired true
	// 2 cycles, pause max 6.4ms
}

// RunGCTrace runs a built program (not `go run`, whose compiler would
// report its own cycles too) and summarizes its garbage collector.
func ExampleRunGCTrace() {
	ctx := context.Background()
	res, err := metricsx.RunGCTrace(ctx, metricsx.GCTraceCommand{
		Path: "./server", Args: []string{"-bench"}, Stdout: os.Stdout, Stderr: os.Stderr,
	})
	if res == nil || res.State == nil {
		fmt.Println(err) // it did not start
		return
	}
	s := res.Summary
	fmt.Printf("%d cycles, %.1f/s, pause p99 %v, GC CPU %.1f%%, ~%.0f MiB/s allocated\n",
		s.Cycles, s.CyclesPerSecond, s.PauseP99, 100*s.CPUShare, s.AllocBytesPerSecond/(1<<20))
}
