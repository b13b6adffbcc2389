package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nativego/nativego/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const home = "/Users/gopher"

// fakeMac lays out, in a temporary root, an Apple Silicon Mac holding an
// Intel Homebrew go (the official darwin/amd64 release), an arm64
// golang.org/dl go and a GOTOOLCHAIN download (both the official
// darwin/arm64 release). Files are hard-linked from the module cache
// (copied when linking fails): only VERSION, go.env, bin/* and
// pkg/tool/*/* are read by Discover.
func fakeMac(t *testing.T) string {
	t.Helper()
	arm := testenv.Toolchain(t, testenv.OfficialVersion, "darwin", "arm64")
	amd := testenv.Toolchain(t, testenv.OfficialVersion, "darwin", "amd64")
	root := t.TempDir()
	v := strings.TrimPrefix(testenv.OfficialVersion, "go")
	keg := "/usr/local/Cellar/go/" + v
	plant(t, root, keg+"/libexec", amd)
	writeFile(t, root, keg+"/INSTALL_RECEIPT.json", "{}\n")
	symlink(t, root, "../libexec/bin/go", keg+"/bin/go")
	symlink(t, root, "../Cellar/go/"+v+"/bin/go", "/usr/local/bin/go")
	sdk := home + "/sdk/" + testenv.OfficialVersion
	plant(t, root, sdk, arm)
	writeFile(t, root, sdk+"/.unpacked-success", "")
	plant(t, root, home+"/go/pkg/mod/golang.org/toolchain@v0.0.1-"+testenv.OfficialVersion+".darwin-arm64", arm)
	plant(t, root, "/opt/extra/go", arm) // found only when named on the command line
	return root
}

func plant(t *testing.T, root, dst, src string) {
	t.Helper()
	files := []string{"VERSION", "go.env", "bin/go", "bin/gofmt"}
	tools, _ := filepath.Glob(filepath.Join(src, "pkg/tool/*/*"))
	for _, p := range tools {
		rel, _ := filepath.Rel(src, p)
		files = append(files, rel)
	}
	for _, f := range files {
		from, to := filepath.Join(src, f), filepath.Join(root, dst, f)
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Link(from, to); err != nil {
			b, err := os.ReadFile(from)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(to, b, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func symlink(t *testing.T, root, target, name string) {
	t.Helper()
	p := filepath.Join(root, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, root, name, content string) {
	t.Helper()
	p := filepath.Join(root, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRun(t *testing.T) {
	root := fakeMac(t)
	sdkBin := home + "/sdk/" + testenv.OfficialVersion + "/bin"
	tests := []struct {
		name     string
		args     []string
		path     string
		wantCode int
	}{
		{name: "table-intel-first", path: "/usr/local/bin:" + sdkBin + ":/usr/bin", wantCode: 1},
		{name: "table-arm64-first", path: sdkBin + ":/usr/local/bin:/usr/bin", wantCode: 0},
		{name: "json-intel-first", args: []string{"-json"}, path: "/usr/local/bin:" + sdkBin + ":/usr/bin", wantCode: 1},
		{name: "extra-goroot", args: []string{"-json", "/opt/extra/go"}, path: sdkBin, wantCode: 0},
		// A named tree that is also found otherwise (here: on PATH) is
		// reported alone, still marked active; the Intel tree that would
		// shadow it is looked at but not reported.
		{name: "named-goroot-on-path", args: []string{"-json", home + "/sdk/" + testenv.OfficialVersion},
			path: "/usr/local/bin:" + sdkBin, wantCode: 0},
		{name: "no-go", path: "/usr/bin", args: []string{"-root", "ROOT/nonexistent"}, wantCode: 0},
		{name: "bad-target", args: []string{"-target", "darwin"}, wantCode: 2},
		{name: "bad-flag", args: []string{"-bogus"}, wantCode: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Discover reads the process environment: give it only what
			// the fake machine defines.
			t.Setenv("PATH", tt.path)
			for _, k := range []string{"GOROOT", "GOPATH", "GOMODCACHE", "GOBIN", "GOTOOLCHAIN", "GOENV_ROOT", "GVM_ROOT",
				"ASDF_DATA_DIR", "MISE_DATA_DIR", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "GOBREW_ROOT", "GIMME_VERSION_PREFIX", "G_EXPERIMENTAL"} {
				t.Setenv(k, "")
			}
			t.Setenv("GOENV", "off")
			args := []string{"-root", root, "-home", home, "-target", "darwin/arm64"}
			for _, a := range tt.args {
				args = append(args, strings.ReplaceAll(a, "ROOT", root))
			}
			var stdout, stderr bytes.Buffer
			code := run(&stdout, &stderr, args)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, stderr.String())
			}
			got := "exit " + itoa(code) + "\n-- stdout --\n" + stdout.String() + "-- stderr --\n" + stderr.String()
			got = strings.ReplaceAll(got, root, "$ROOT")
			// The release the tests download is a testenv setting, not part
			// of what the goldens pin.
			got = strings.ReplaceAll(got, strings.TrimPrefix(testenv.OfficialVersion, "go"), "$V")
			golden := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (run with -update to accept):\n--- got ---\n%s\n--- want ---\n%s", golden, got, want)
			}
		})
	}
}

func itoa(n int) string { return string(rune('0' + n)) }

// TestVerifyOfficial runs -verify on the official darwin/arm64
// distribution as the module proxy serves it: it must verify against the
// Go checksum database, and the command must print that as "ok".
func TestVerifyOfficial(t *testing.T) {
	dir := testenv.Toolchain(t, testenv.OfficialVersion, "darwin", "arm64")
	var stdout, stderr bytes.Buffer
	run(&stdout, &stderr, []string{"-json", "-verify", "-root", "/", "-home", t.TempDir(), dir})
	found := false
	for line := range strings.Lines(stdout.String()) {
		var got struct {
			Root   string `json:"root"`
			Verify struct {
				Status   string `json:"status"`
				Expected string `json:"expected"`
				Got      string `json:"got"`
			} `json:"verify"`
		}
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		if got.Root != dir {
			continue
		}
		found = true
		if got.Verify.Status != "ok" || got.Verify.Expected == "" || got.Verify.Expected != got.Verify.Got {
			t.Errorf("verify of %s = %+v, want ok with equal hashes", dir, got.Verify)
		}
	}
	if !found {
		t.Errorf("no line for %s in:\n%s\nstderr: %s", dir, stdout.String(), stderr.String())
	}
}
