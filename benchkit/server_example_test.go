package benchkit_test

import (
	"context"
	"log"
	"os"
	"time"

	"github.com/nativego/nativego/benchkit"
	"github.com/nativego/nativego/benchkit/load"
	"golang.org/x/perf/benchfmt"
)

// A native and a linux/arm64 build of the same server, compared under
// the same load. On an amd64 Linux machine without a binfmt_misc handler
// the arm64 build runs under qemu-aarch64, which archcheck's verdict
// calls for; its results say exec: qemu-user and emulated: true.
func ExampleServerBench() {
	server := func(name, goarch string) benchkit.Server {
		return benchkit.Server{
			Name: name, Package: "./cmd/api", GOARCH: goarch,
			Args: []string{"-addr", "127.0.0.1:8080"},
		}
	}
	b := &benchkit.ServerBench{
		Servers: []benchkit.Server{server("native", ""), server("arm64", "arm64")},
		Addr:    "127.0.0.1:8080",
		Path:    "/json",
		Load:    load.Config{Connections: 64, Duration: 10 * time.Second},
		Rounds:  6,
	}
	raw, err := os.Create("servers.txt") // for benchstat, or benchkit.CompareFiles
	if err != nil {
		log.Fatal(err)
	}
	defer raw.Close()
	if err := b.Run(context.Background(), benchfmt.NewWriter(raw)); err != nil {
		log.Fatal(err) // a *benchkit.ServerError names the round and shows the server's output
	}
	r, err := benchkit.CompareFiles(benchkit.CompareOptions{}, "servers.txt")
	if err != nil {
		log.Fatal(err)
	}
	r.WriteMetrics(os.Stdout, true)
}
