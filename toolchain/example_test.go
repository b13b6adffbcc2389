package toolchain_test

import (
	"context"
	"fmt"
	"log"

	"github.com/nativego/nativego/toolchain"
)

// This example lists the Go installations of the machine it runs on,
// with what is wrong with each. Its output depends on the machine.
func ExampleDiscover() {
	installs, err := toolchain.Discover(context.Background(), toolchain.DiscoverOptions{})
	if err != nil {
		log.Fatal(err)
	}
	for _, inst := range installs {
		active := ""
		if inst.Active {
			active = " (active)"
		}
		fmt.Printf("%s %s %s/%s from %s%s\n", inst.Root, inst.Version, inst.GOOS, inst.GOARCH, inst.Source, active)
		for _, f := range inst.Findings {
			fmt.Printf("  %s %s: %s\n    fix: %s\n", f.Severity, f.Code, f.Message, f.Fix)
		}
	}
}
