//go:build linux

package benchkit

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/nativego/nativego/benchkit/load"
	"github.com/nativego/nativego/internal/testenv"
	"golang.org/x/perf/benchfmt"
)

// TestServerFrameworks builds the net/http, Gin and Echo servers of
// testdata/servers (a module of its own, so that the frameworks never
// enter nativego's module graph) natively and runs one short round of
// each: the whole path from go build to the metric table.
func TestServerFrameworks(t *testing.T) {
	if testing.Short() {
		t.Skip("builds three servers and loads each for a second; skipped in -short")
	}
	testenv.GoTool(t)
	dir, err := filepath.Abs(filepath.Join("testdata", "servers"))
	if err != nil {
		t.Fatal(err)
	}
	// Build once outside runBench's deadline: on a cold build cache,
	// compiling Gin and Echo alone takes over a minute on two busy cores.
	// ServerBench's own builds below then come from the cache.
	warm := testenv.GoCommand(t, "build", "-o", t.TempDir()+string(filepath.Separator), "./...")
	warm.Dir = dir
	testenv.Run(t, warm)
	var servers []Server
	for _, name := range []string{"nethttp", "gin", "echo"} {
		addr := freeAddr(t)
		servers = append(servers, Server{
			Name: name, Package: "./" + name, Dir: dir,
			Args: []string{"-addr", addr}, Addr: addr, Ready: "http://" + addr + "/health",
		})
	}
	out, err := runBench(t, &ServerBench{Servers: servers, Path: "/json", Rounds: 1,
		Load: load.Config{Connections: 4, Duration: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBuilder(CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Read(bytes.NewReader(out.Bytes()), "out"); err != nil {
		t.Fatal(err)
	}
	r := b.Build()
	var md bytes.Buffer
	if err := r.WriteMetrics(&md, true); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", md.Bytes())
	rd := benchfmt.NewReader(bytes.NewReader(out.Bytes()), "out")
	n := 0
	for rd.Scan() {
		res, ok := rd.Result().(*benchfmt.Result)
		if !ok {
			continue
		}
		n++
		if v, _ := res.Value(UnitReqPerSec); v <= 0 {
			t.Errorf("%s: no throughput", res.GetConfig("config"))
		}
		if v, _ := res.Value(UnitErrors); v != 0 {
			t.Errorf("%s: %v failed requests", res.GetConfig("config"), v)
		}
		if _, ok := res.Value(UnitGCCycles); !ok {
			t.Errorf("%s: no GC figures from a Go server", res.GetConfig("config"))
		}
	}
	if n != 3 {
		t.Errorf("%d results, want 3:\n%s", n, out)
	}
}
