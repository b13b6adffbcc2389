// Command verifytree verifies Go installations with toolchain.Verify and
// prints each result as JSON, with the time it took on standard error.
// scripts/verify-speed.sh uses it.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/nativego/nativego/toolchain"
)

func main() { os.Exit(run(os.Stdout, os.Stderr, os.Args[1:])) }

func run(stdout, stderr io.Writer, args []string) int {
	fs := flag.NewFlagSet("verifytree", flag.ContinueOnError)
	fs.SetOutput(stderr)
	gosum := fs.String("gosum", "", "expected go.sum line (offline)")
	noDiff := fs.Bool("nodiff", false, "do not fetch the module zip on a mismatch")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	code := 0
	for _, root := range fs.Args() {
		start := time.Now()
		v, err := toolchain.Verify(context.Background(), root, toolchain.VerifyOptions{GoSum: *gosum, NoDiff: *noDiff})
		fmt.Fprintf(stderr, "verify %s: %.3fs\n", root, time.Since(start).Seconds())
		b, _ := json.MarshalIndent(v, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
		if err != nil || v.Status != toolchain.StatusOK {
			code = 1
		}
	}
	return code
}
