package sqlload_test

import (
	"path/filepath"
	"testing"

	"github.com/nativego/nativego/internal/testenv"
)

// exampleModule is the nested module holding the sqlload command and the
// tests that need drivers (pgx, modernc.org/sqlite) and real servers. The
// go command never matches a nested module from the root, so this test
// runs its vet and tests: `go test ./...` at the root covers them.
var exampleModule = filepath.Join("..", "..", "..", "examples", "sqlload")

func TestExampleModule(t *testing.T) {
	if testing.Short() {
		t.Skip("the nested module's tests start database servers; not in -short mode")
	}
	testenv.PostgresBinDir(t) // its tests need PostgreSQL: skip here, with the reason, or fail in CI
	for _, args := range [][]string{
		{"vet", "./..."},
		{"test", "-count=1", "./..."},
	} {
		cmd := testenv.GoCommand(t, args...)
		cmd.Dir = exampleModule
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %v in %s: %v\n%s", args, exampleModule, err, out)
		}
		t.Logf("go %v:\n%s", args, out)
	}
}
