package benchkit_test

import (
	"context"
	"log"
	"os"

	"github.com/nativego/nativego/benchkit"
	"golang.org/x/perf/benchfmt"
)

// Time six clean builds of the current module, each with a new empty
// build cache, and write the results for benchstat or benchcompare.
func ExampleMeasure() {
	ctx := context.Background()
	state, err := benchkit.ReadMachineState(ctx)
	if err != nil {
		log.Fatal(err)
	}
	m, err := benchkit.Measure(ctx, []benchkit.Command{
		{Name: "GoBuild", Args: []string{"go", "build", "./..."}},
	}, &benchkit.MeasureOptions{
		Runs:         6,
		FreshGOCACHE: true, // GOCACHE=off is not a thing
		Config:       state.Config(),
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := m.WriteTo(benchfmt.NewWriter(os.Stdout)); err != nil {
		log.Fatal(err)
	}
}

// Compare a package's benchmarks natively and as linux/arm64 code under
// qemu-user, six interleaved rounds.
func ExampleRunner() {
	r := &benchkit.Runner{
		Pkg:     ".",
		Configs: []benchkit.Config{{Name: "native"}, {Name: "emulated", GOARCH: "arm64"}},
		Count:   6,
	}
	if err := r.Run(context.Background(), benchfmt.NewWriter(os.Stdout)); err != nil {
		log.Fatal(err)
	}
}
