//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/nativego/nativego/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(&out, &errb, args)
	return out.String(), errb.String(), code
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no driver", []string{"-dsn", "x"}, "-driver must be pgx or sqlite"},
		{"no dsn", []string{"-driver", "pgx"}, "-dsn is required"},
		{"clients", []string{"-driver", "pgx", "-dsn", "x", "-c", "0"}, "-c must be at least 1"},
		{"bad query", []string{"-driver", "pgx", "-dsn", "x", "-query", "nosql"}, `"nosql" is not NAME=SQL`},
		{"bad weight", []string{"-driver", "pgx", "-dsn", "x", "-query", "a*x=SELECT 1"}, `weight "x"`},
		{"min-conns sqlite", []string{"-driver", "sqlite", "-dsn", "x", "-min-conns", "2"}, "-min-conns needs -driver pgx"},
		{"argument", []string{"-driver", "pgx", "-dsn", "x", "extra"}, "unexpected arguments"},
		{"negative", []string{"-driver", "pgx", "-dsn", "x", "-max-open", "-1"}, "must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, tt.args...)
			if code != 2 || out != "" || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and %q", code, out, errOut, tt.want)
			}
		})
	}
}

func TestUsageGolden(t *testing.T) {
	_, errOut, code := runCLI(t, "-h")
	if code != 0 {
		t.Errorf("-h: exit %d", code)
	}
	golden(t, "usage", errOut)
}

// numbers matches what changes from run to run in the text output:
// counts, rates, percentages and durations.
var numbers = regexp.MustCompile(`[0-9]+(\.[0-9]+)?(ns|µs|ms|s|m|%)?`)

// TestSQLiteTextGolden runs the command against SQLite and compares the
// shape of its report, numbers masked, with the golden file.
func TestSQLiteTextGolden(t *testing.T) {
	if testing.Short() {
		t.Skip("load against SQLite in -short mode")
	}
	dsn := sqliteDSN(t)
	db, _ := openTestDB(t, "sqlite", dsn)
	if _, err := db.Exec("CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out, errOut, code := runCLI(t, "-driver", "sqlite", "-dsn", dsn, "-c", "4", "-n", "400", "-max-open", "2",
		"-query", "put!*2=INSERT OR REPLACE INTO kv VALUES (abs(random()) % 100, 'x')",
		"-query", "get*7=SELECT v FROM kv WHERE k = 1")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	// The generator's self-check warns or not depending on the machine.
	out = regexp.MustCompile(`(?m)^\n?warning: .*\n`).ReplaceAllString(out, "")
	masked := numbers.ReplaceAllString(strings.ReplaceAll(out, dsn, "DSN"), "N")
	masked = regexp.MustCompile(` +`).ReplaceAllString(masked, " ") // column widths follow the numbers
	golden(t, "sqlite-text", masked)
}

// testCLIPostgres runs the command against the server with a DSN holding
// the real password, in every output mode and through failures, and
// checks that the password never appears.
func testCLIPostgres(t *testing.T, pg *testenv.Postgres) {
	url := pg.URL()
	wrong := strings.Replace(url, pg.Password, "wrong-"+pg.Password[3:], 1)
	closed := fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/load", pg.Password, closedPort(t))
	runs := []struct {
		name string
		args []string
		code int
	}{
		{"text", []string{"-driver", "pgx", "-dsn", url, "-c", "4", "-n", "300"}, 0},
		{"json", []string{"-driver", "pgx", "-dsn", url, "-c", "4", "-n", "300", "-json"}, 0},
		{"pgxpool", []string{"-driver", "pgx", "-dsn", url, "-c", "4", "-n", "300", "-min-conns", "3", "-json"}, 0},
		{"sweep", []string{"-driver", "pgx", "-dsn", url, "-c", "4", "-d", "200ms", "-sweep", "-sweep-open", "1,4", "-sweep-idle", "0,4", "-p99", "1s"}, 0},
		{"sweep-json", []string{"-driver", "pgx", "-dsn", url, "-c", "4", "-d", "200ms", "-sweep", "-sweep-open", "2", "-sweep-idle", "2", "-p99", "1s", "-json"}, 0},
		{"wrong password", []string{"-driver", "pgx", "-dsn", wrong, "-c", "2", "-n", "5"}, 1},
		{"refused", []string{"-driver", "pgx", "-dsn", closed, "-c", "2", "-n", "5", "-json"}, 1},
		{"bad dsn pgxpool", []string{"-driver", "pgx", "-dsn", url + "&connect_timeout=x", "-min-conns", "1"}, 1},
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, r.args...)
			if code != r.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, r.code, out, errOut)
			}
			secret := pg.Password[3:] // "wrong-" DSNs share it
			if strings.Contains(out+errOut, secret) {
				t.Errorf("the password leaked:\nstdout:\n%s\nstderr:\n%s", out, errOut)
			}
			if !strings.Contains(out+errOut, "xxxxx") && r.code == 0 {
				t.Errorf("no redacted DSN in the output:\n%s", out)
			}
			if strings.HasSuffix(r.name, "json") || r.name == "pgxpool" {
				var v map[string]any
				if err := json.Unmarshal([]byte(out), &v); err != nil && out != "" {
					t.Errorf("-json output is not JSON: %v\n%s", err, out)
				}
				if r.name == "pgxpool" {
					if n, _ := v["pgxpool_opened"].(float64); n < 3 {
						t.Errorf("pgxpool opened %v connections, want at least min-conns 3", v["pgxpool_opened"])
					}
				}
			}
			t.Logf("stdout:\n%s\nstderr:\n%s", out, errOut)
		})
	}
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}
