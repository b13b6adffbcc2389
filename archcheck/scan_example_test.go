package archcheck_test

import (
	"context"
	"fmt"
	"log"

	"github.com/nativego/nativego/archcheck"
)

// Scan lists what will not run natively on an Apple Silicon Mac, from any
// machine.
func ExampleScan() {
	opts := archcheck.ScanOptions{
		Host:          archcheck.Target("darwin", "arm64"),
		OnlyNonNative: true,
		Skip:          []string{".git", "node_modules"},
	}
	for r, err := range archcheck.Scan(context.Background(), []string{"/Applications"}, opts) {
		if err != nil {
			log.Fatal(err) // cancelled, or a malformed Skip pattern
		}
		if r.Err != nil {
			log.Print(r.Err) // one path; the scan goes on
			continue
		}
		fmt.Println(r.Path, r.Assessment.Verdict, r.Bundle)
	}
}
