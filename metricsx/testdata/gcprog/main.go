// Command gcprog is the allocating program the gctrace tests run with
// GODEBUG=gctrace=1, and that made the captures in testdata/.
//
// Usage: gcprog [-cycles N] [-forced K] [-noise] [-leak] [-spawn [-exit]]
//
// It allocates until the runtime has finished N GC cycles, calling
// runtime.GC every K cycles. -noise writes the program's own stderr lines
// from another goroutine, in pieces, so that they tear the runtime's gc
// lines. -leak runs one goroutine-leak-detecting cycle through the
// goroutineleak profile (built with GOEXPERIMENT=goroutineleakprofile).
// -spawn starts a copy of itself that sleeps, prints its pid on standard
// output and then sleeps too (or, with -exit, exits), for the tests that
// check that no process outlives a run. At the end it prints, on standard output, the
// runtime/metrics values the tests compare the parsed trace with.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
	"time"
)

var sink [][]byte

func main() {
	cycles := flag.Int("cycles", 20, "GC cycles to run")
	forced := flag.Int("forced", 5, "call runtime.GC every `K` cycles (0: never)")
	noise := flag.Bool("noise", false, "write the program's own stderr lines, in pieces")
	leak := flag.Bool("leak", false, "run a goroutine-leak-detecting GC cycle")
	spawn := flag.Bool("spawn", false, "start a sleeping child, print its pid, and sleep")
	exit := flag.Bool("exit", false, "with -spawn: exit instead of sleeping")
	sleep := flag.Bool("sleep", false, "sleep forever")
	flag.Parse()
	switch {
	case *sleep:
		sleepForever()
	case *spawn:
		child := exec.Command(os.Args[0], "-sleep")
		child.Stderr = os.Stderr
		if err := child.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(child.Process.Pid)
		if *exit {
			os.Exit(0)
		}
		sleepForever()
	}
	done := make(chan struct{})
	if *noise {
		go func() {
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				// Three writes per line, as a program printing a
				// progress line piece by piece would.
				fmt.Fprintf(os.Stderr, "app: step %d", i)
				fmt.Fprint(os.Stderr, " working")
				fmt.Fprintln(os.Stderr, " ok")
				time.Sleep(50 * time.Microsecond)
			}
		}()
	}
	if *leak {
		leakOne()
	}
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	for n := uint64(0); n < uint64(*cycles); {
		for i := 0; i < 1000; i++ {
			sink = append(sink, make([]byte, 4096))
			if len(sink) > 2000 {
				sink = sink[:0]
			}
		}
		metrics.Read(s)
		if c := s[0].Value.Uint64(); c != n {
			n = c
			if *forced > 0 && n%uint64(*forced) == 0 && n < uint64(*cycles) {
				runtime.GC()
			}
		}
	}
	close(done)
	report()
}

// leakOne leaves a goroutine blocked forever on a channel nobody else
// holds, and asks for the goroutineleak profile, whose collection runs a
// leak-detecting GC cycle.
func leakOne() {
	go func() {
		ch := make(chan int)
		<-ch
	}()
	runtime.Gosched()
	p := pprof.Lookup("goroutineleak")
	if p == nil {
		fmt.Fprintln(os.Stderr, "gcprog: no goroutineleak profile; build with GOEXPERIMENT=goroutineleakprofile")
		os.Exit(1)
	}
	var b strings.Builder
	p.WriteTo(&b, 0)
}

// sleepForever sleeps without letting the runtime find that every
// goroutine is blocked (which select{} would, and crash).
func sleepForever() {
	for {
		time.Sleep(time.Hour)
	}
}

// report prints the runtime's own counts, one "name value" per line,
// and the GODEBUG the program was given.
func report() {
	s := []metrics.Sample{
		{Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/gc/cycles/forced:gc-cycles"},
		{Name: "/sched/gomaxprocs:threads"},
	}
	metrics.Read(s)
	for _, x := range s {
		fmt.Printf("%s %d\n", x.Name, x.Value.Uint64())
	}
	fmt.Printf("GODEBUG %s\n", os.Getenv("GODEBUG"))
}
