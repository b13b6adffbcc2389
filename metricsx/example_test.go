package metricsx_test

import (
	"fmt"
	"runtime"

	"github.com/nativego/nativego/metricsx"
)

// Measure what a piece of work cost the garbage collector.
func ExampleWindow() {
	var before, after metricsx.Snapshot
	before.Read()
	runtime.GC()
	after.Read()

	var w metricsx.Window
	if err := w.Set(&before, &after); err != nil {
		fmt.Println(err) // ErrReset: the window went backwards
		return
	}
	cycles, _ := w.Delta("/gc/cycles/forced:gc-cycles")
	pauses := w.Summary().GCPauses
	// Each cycle stops the world twice; a background cycle that runtime.GC
	// had to finish first adds its own pauses to the window.
	fmt.Printf("%.0f forced GC, at least two stop-the-world pauses: %t\n", cycles, pauses.Count >= 2)
	// Output: 1 forced GC, at least two stop-the-world pauses: true
}

// Code written for the metric names of Go 1.22 and later still finds GC
// pauses on runtimes that only have /gc/pauses:seconds, and the reverse.
func ExampleSnapshot_Has() {
	s := metricsx.ReadSnapshot()
	fmt.Println(s.Has("/sched/pauses/total/gc:seconds"), s.Has("/gc/pauses:seconds"))
	// Output: true true
}
