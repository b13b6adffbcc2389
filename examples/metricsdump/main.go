// Command metricsdump prints Go runtime metrics. This is a placeholder
// from the gctrace branch so that the package builds: the metricsx
// branch owns main.go, and merging keeps theirs plus the -gctrace line
// in run.
//
// Usage:
//
//	metricsdump -gctrace [-json] [--] CMD ARGS...
package main

import (
	"fmt"
	"io"
	"os"
)

func main() { os.Exit(run(os.Stdout, os.Stderr, os.Args[1:])) }

func run(stdout, stderr io.Writer, args []string) int {
	if len(args) > 0 && (args[0] == "-gctrace" || args[0] == "--gctrace") {
		return runGCTrace(stdout, stderr, args[1:])
	}
	fmt.Fprintln(stderr, "usage: metricsdump -gctrace [-json] [--] CMD ARGS...")
	return 2
}
