// Command modverify is modaudit.VerifyCache as a stand-in for
// "go mod verify", for scripts/modverify-speed.sh: it prints what go mod
// verify would print and exits 1 when go mod verify would fail.
//
//	modverify [-modcache DIR] [-json] [MODULE_DIR]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/nativego/nativego/toolchain/modaudit"
)

func main() { os.Exit(run(os.Stdout, os.Stderr, os.Args[1:])) }

func run(stdout, stderr io.Writer, args []string) int {
	fs := flag.NewFlagSet("modverify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	modCache := fs.String("modcache", "", "module cache `dir` (default: $GOMODCACHE, $GOPATH/pkg/mod)")
	asJSON := fs.Bool("json", false, "print the full report as JSON")
	if err := fs.Parse(args); err != nil || fs.NArg() > 1 {
		return 2
	}
	dir := "."
	if fs.NArg() == 1 {
		dir = fs.Arg(0)
	}
	r, err := modaudit.VerifyCache(context.Background(), dir, modaudit.CacheOptions{ModCache: *modCache})
	if err != nil {
		fmt.Fprintln(stderr, "modverify:", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(r)
	} else if r.OK {
		fmt.Fprint(stdout, r.Output)
	} else {
		fmt.Fprint(stderr, r.Output)
	}
	if !r.OK {
		return 1
	}
	return 0
}
