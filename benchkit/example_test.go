package benchkit_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/nativego/nativego/benchkit"
)

// A runner's results for two configurations, as the Go benchmark format
// with the configuration keys of KEYS.md, compared in the
// translation-cost view.
func ExampleBuilder() {
	native := `config: native
goarch: arm64
translated: false
BenchmarkHash-8 1000 100 ns/op
BenchmarkHash-8 1000 101 ns/op
BenchmarkHash-8 1000 99 ns/op
BenchmarkHash-8 1000 100 ns/op
BenchmarkHash-8 1000 102 ns/op
BenchmarkHash-8 1000 98 ns/op
`
	rosetta := strings.NewReplacer("native", "rosetta", "arm64", "amd64", "false", "true", "100 ns", "180 ns", "101 ns", "183 ns", "99 ns", "178 ns", "102 ns", "185 ns", "98 ns", "176 ns").Replace(native)

	b, err := benchkit.NewBuilder(benchkit.CompareOptions{})
	if err != nil {
		panic(err)
	}
	// Given in either order, the native configuration is the baseline.
	b.Read(strings.NewReader(rosetta), "rosetta.txt")
	b.Read(strings.NewReader(native), "native.txt")
	r := b.Build()
	r.WriteText(os.Stdout, benchkit.ViewCost)
	fmt.Println("rounds needed for a 95% interval:", benchkit.RoundsNeeded(0.95, 0.05))
	// Output:
	// benchmark  native (sec/op)      rosetta    rosetta / native      p
	// Hash-8         100.0n ± 2%  180.0n ± 3%  ×1.80 [1.76, 1.85]  0.002
	// rounds needed for a 95% interval: 6
}
