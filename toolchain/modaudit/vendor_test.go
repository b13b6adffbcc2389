package modaudit

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nativego/nativego/internal/testenv"
)

const mainGoMod = `module example.com/main

go 1.23

require (
	example.com/Upper v1.0.0
	example.com/a v1.1.0
	example.com/b v1.0.0
	example.com/gen v1.0.0
)

require example.com/c v1.0.0 // indirect

replace example.com/c => ./localc
`

const mainGo = `package main

import (
	"fmt"

	"example.com/Upper"
	"example.com/a"
	"example.com/a/sub"
	"example.com/b"
	"example.com/gen"
)

func main() { fmt.Println(a.Version, sub.X, b.B(), gen.Max(1, 2), upper.U) }
`

// makeVendorFixtures makes a vendored module and a vendored workspace
// with the go command from the loopback proxy's modules; each case
// copies one and damages the copy.
func makeVendorFixtures(t *testing.T) (single, workspace, modCache string) {
	t.Helper()
	p := newLoopbackProxy(t, testModules()...)
	modCache = t.TempDir()
	env := p.goEnv(t, modCache)
	t.Cleanup(func() { chmodCacheWritable(t, modCache) })

	single = filepath.Join(t.TempDir(), "main")
	writeFile(t, filepath.Join(single, "go.mod"), mainGoMod)
	writeFile(t, filepath.Join(single, "main.go"), mainGo)
	writeFile(t, filepath.Join(single, "localc", "go.mod"), "module example.com/c\n\ngo 1.21\n")
	writeFile(t, filepath.Join(single, "localc", "c.go"), "package c\n\nconst C = 4\n")
	testenv.Run(t, goIn(t, single, env, "mod", "tidy"))
	testenv.Run(t, goIn(t, single, env, "mod", "vendor"))

	workspace = filepath.Join(t.TempDir(), "ws")
	writeFile(t, filepath.Join(workspace, "go.work"), "go 1.23\n\nuse (\n\t./m1\n\t./m2\n)\n\nreplace example.com/c => ./localc\n")
	writeFile(t, filepath.Join(workspace, "localc", "go.mod"), "module example.com/c\n\ngo 1.21\n")
	writeFile(t, filepath.Join(workspace, "localc", "c.go"), "package c\n\nconst C = 5\n")
	writeFile(t, filepath.Join(workspace, "m1", "go.mod"), "module example.com/m1\n\ngo 1.22\n\nrequire example.com/a v1.1.0\n")
	writeFile(t, filepath.Join(workspace, "m1", "m1.go"), "package m1\n\nimport \"example.com/a\"\n\nconst V = a.Version\n")
	writeFile(t, filepath.Join(workspace, "m2", "go.mod"), "module example.com/m2\n\ngo 1.22\n\nrequire (\n\texample.com/b v1.0.0\n\texample.com/gen v1.0.0\n)\n\nrequire example.com/c v1.0.0 // indirect\n")
	writeFile(t, filepath.Join(workspace, "m2", "m2.go"), "package m2\n\nimport (\n\t\"example.com/b\"\n\t\"example.com/gen\"\n)\n\nvar V = gen.Max(b.B(), 1)\n")
	for _, m := range []string{"m1", "m2"} {
		testenv.Run(t, goIn(t, filepath.Join(workspace, m), env, "mod", "tidy"))
	}
	testenv.Run(t, goIn(t, workspace, append(slices.Clone(env), "GOWORK="), "work", "vendor"))
	return single, workspace, modCache
}

// copyTree copies a tree of small files.
func copyTree(t testing.TB, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		writeFile(t, filepath.Join(dst, rel), string(data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// edit replaces old with new in a file, failing when old is absent.
func edit(t *testing.T, file, old, new string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(old)) {
		t.Fatalf("%s does not contain %q:\n%s", file, old, data)
	}
	if err := os.WriteFile(file, bytes.Replace(data, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

// goVendorVerdict is what "go list -mod=vendor" says: the lines of its
// "inconsistent vendoring" message, or its too-new error, or success
// with the go version of each vendored module of the build.
type goVendorVerdict struct {
	Consistent bool
	Details    []string          // "module: detail"
	Message    string            // the whole error, without the advice after it
	GoVersions map[string]string // module path -> go version as go list reports it
}

var detailLine = regexp.MustCompile(`(?m)^\t(\S+): (.*)$`)

func goListVendor(t *testing.T, dir string, env []string, patterns ...string) goVendorVerdict {
	t.Helper()
	args := append([]string{"list", "-deps", "-f", "{{with .Module}}{{.Path}} {{.GoVersion}}{{end}}"}, patterns...)
	cmd := goIn(t, dir, append(slices.Clone(env), "GOFLAGS=-mod=vendor", "GOPROXY=off"), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err == nil {
		v := goVendorVerdict{Consistent: true, GoVersions: map[string]string{}}
		for line := range strings.Lines(string(out)) {
			line = strings.TrimRight(line, "\n")
			path, gv, _ := strings.Cut(line, " ")
			if path != "" {
				v.GoVersions[path] = gv
			}
		}
		return v
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("go list: %v", err)
	}
	msg := stderr.String()
	v := goVendorVerdict{}
	if head, _, ok := strings.Cut(msg, "\n\n\tTo ignore the vendor directory"); ok {
		v.Message = head
		for _, m := range detailLine.FindAllStringSubmatch(head, -1) {
			v.Details = append(v.Details, m[1]+": "+m[2])
		}
		return v
	}
	if strings.Contains(msg, "requires go >=") {
		v.Message = strings.TrimSpace(msg)
		return v
	}
	t.Fatalf("go list failed other than by inconsistent vendoring:\n%s", msg)
	return v
}

func TestCheckVendorMatchesGoList(t *testing.T) {
	testenv.GoTool(t)
	if testing.Short() {
		t.Skip("builds modules with the go command and a loopback proxy; slow under -short")
	}
	single, workspace, fixtureCache := makeVendorFixtures(t)
	env := append(os.Environ(), "GOENV=off", "GOTOOLCHAIN=local", "GOMODCACHE="+t.TempDir(), "GOPATH="+t.TempDir(), "GONOSUMDB=", "GOSUMDB=off", "GO111MODULE=on")

	tests := []struct {
		name      string
		workspace bool
		damage    func(t *testing.T, dir string)
		wantKinds []string // kinds of error problems, in order
		wantWarn  string   // a warning kind that must be present
		modCache  bool     // pass the fixture's module cache
	}{
		{name: "intact", damage: func(*testing.T, string) {}},
		{name: "marker-removed", wantKinds: []string{ProblemNotExplicit}, damage: func(t *testing.T, d string) {
			edit(t, filepath.Join(d, "vendor/modules.txt"), "# example.com/a v1.1.0\n## explicit; go 1.21", "# example.com/a v1.1.0\n## go 1.21")
		}},
		{name: "version-changed", wantKinds: []string{ProblemNotExplicit, ProblemExplicitNotRequired}, damage: func(t *testing.T, d string) {
			edit(t, filepath.Join(d, "vendor/modules.txt"), "# example.com/a v1.1.0", "# example.com/a v1.0.0")
		}},
		{name: "go-mod-version-changed", wantKinds: []string{ProblemNotExplicit, ProblemExplicitNotRequired}, damage: func(t *testing.T, d string) {
			edit(t, filepath.Join(d, "go.mod"), "example.com/b v1.0.0", "example.com/b v1.0.1")
		}},
		// go.mod's replacement has no version, so the go command checks
		// the wildcard line modules.txt ends with, and only that one.
		{name: "replacement-mismatch", wantKinds: []string{ProblemReplaceMismatch}, damage: func(t *testing.T, d string) {
			edit(t, filepath.Join(d, "vendor/modules.txt"), "# example.com/c => ./localc", "# example.com/c => ./otherc")
		}},
		{name: "versioned-replacement-line-edited", damage: func(t *testing.T, d string) {
			edit(t, filepath.Join(d, "vendor/modules.txt"), "# example.com/c v1.0.0 => ./localc", "# example.com/c v1.0.0 => ./otherc")
		}},
		{name: "replacement-not-vendored", wantKinds: []string{ProblemReplaceNotMarked}, damage: func(t *testing.T, d string) {
			edit(t, filepath.Join(d, "vendor/modules.txt"), "# example.com/c => ./localc\n", "")
		}},
		{name: "replaced-only-in-vendor", wantKinds: []string{ProblemReplacedNotReplaced, ProblemReplacedNotReplaced}, damage: func(t *testing.T, d string) {
			edit(t, filepath.Join(d, "go.mod"), "replace example.com/c => ./localc\n", "")
		}},
		{name: "replacement-by-version", wantKinds: []string{ProblemReplaceMismatch}, damage: func(t *testing.T, d string) {
			edit(t, filepath.Join(d, "go.mod"), "replace example.com/c => ./localc\n", "replace example.com/c => example.com/c2 v1.0.0\n")
		}},
		{name: "wildcard-replacement-added", wantKinds: []string{ProblemReplaceNotMarked}, damage: func(t *testing.T, d string) {
			edit(t, filepath.Join(d, "go.mod"), "replace example.com/c => ./localc\n", "replace example.com/c => ./localc\n\nreplace example.com/zzz => ./zzz\n")
		}},
		{name: "module-missing", wantKinds: []string{ProblemNotExplicit}, damage: func(t *testing.T, d string) {
			edit(t, filepath.Join(d, "vendor/modules.txt"), "# example.com/gen v1.0.0\n## explicit; go 1.21\nexample.com/gen\n", "")
		}},
		{name: "extra-module", wantKinds: []string{ProblemExplicitNotRequired}, damage: func(t *testing.T, d string) {
			edit(t, filepath.Join(d, "vendor/modules.txt"), "# example.com/gen v1.0.0", "# example.com/extra v1.0.0\n## explicit; go 1.21\nexample.com/extra\n# example.com/gen v1.0.0")
		}},
		{name: "go-annotation-missing", wantWarn: ProblemNoGoVersion, modCache: true, damage: func(t *testing.T, d string) {
			edit(t, filepath.Join(d, "vendor/modules.txt"), "# example.com/gen v1.0.0\n## explicit; go 1.21", "# example.com/gen v1.0.0\n## explicit")
		}},
		{name: "go-too-new", wantKinds: []string{ProblemGoTooNew}, damage: func(t *testing.T, d string) {
			edit(t, filepath.Join(d, "vendor/modules.txt"), "# example.com/gen v1.0.0\n## explicit; go 1.21", "# example.com/gen v1.0.0\n## explicit; go 1.99")
		}},
		{name: "modules-txt-deleted", wantKinds: []string{ProblemNotExplicit, ProblemNotExplicit, ProblemNotExplicit, ProblemNotExplicit, ProblemNotExplicit, ProblemReplaceNotMarked}, damage: func(t *testing.T, d string) {
			os.Remove(filepath.Join(d, "vendor/modules.txt"))
		}},
		{name: "unlisted-package", wantWarn: ProblemUnlistedPackage, damage: func(t *testing.T, d string) {
			writeFile(t, filepath.Join(d, "vendor/example.com/stray/stray.go"), "package stray\n")
		}},
		{name: "workspace-intact", workspace: true, damage: func(*testing.T, string) {}},
		{name: "workspace-marker-removed", workspace: true, wantKinds: []string{ProblemNotExplicit}, damage: func(t *testing.T, d string) {
			edit(t, filepath.Join(d, "vendor/modules.txt"), "# example.com/b v1.0.0\n## explicit; go 1.22", "# example.com/b v1.0.0\n## go 1.22")
		}},
		{name: "workspace-replacement-mismatch", workspace: true, wantKinds: []string{ProblemReplaceMismatch}, damage: func(t *testing.T, d string) {
			edit(t, filepath.Join(d, "vendor/modules.txt"), "# example.com/c => ./localc", "# example.com/c => ./m1/localc")
		}},
		{name: "workspace-module-replacement", workspace: true, wantKinds: []string{ProblemReplaceNotMarked}, damage: func(t *testing.T, d string) {
			writeFile(t, filepath.Join(d, "m1", "go.mod"), "module example.com/m1\n\ngo 1.22\n\nrequire example.com/a v1.1.0\n\nreplace example.com/a => ../locala\n")
		}},
		{name: "workspace-extra-module", workspace: true, wantKinds: []string{ProblemExplicitNotRequired}, damage: func(t *testing.T, d string) {
			edit(t, filepath.Join(d, "vendor/modules.txt"), "# example.com/gen v1.0.0", "# example.com/extra v1.0.0\n## explicit; go 1.21\nexample.com/extra\n# example.com/gen v1.0.0")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src, opts, cenv, patterns := single, VendorOptions{GOWORK: "off"}, append(slices.Clone(env), "GOWORK=off"), []string{"./..."}
			if tc.workspace {
				src, opts, cenv, patterns = workspace, VendorOptions{}, append(slices.Clone(env), "GOWORK="), []string{"./m1/...", "./m2/..."}
			}
			if tc.modCache {
				opts.ModCache = fixtureCache
			}
			dir := copyTree(t, src)
			tc.damage(t, dir)

			got, err := CheckVendor(dir, opts)
			if err != nil {
				t.Fatal(err)
			}
			want := goListVendor(t, dir, cenv, patterns...)

			var gotKinds, gotDetails, warnings []string
			for _, p := range got.Problems {
				switch {
				case p.Kind == ProblemGoTooNew:
					gotKinds = append(gotKinds, p.Kind)
				case p.Severity == "error" && p.Kind != ProblemMissingPackage:
					gotKinds = append(gotKinds, p.Kind)
					gotDetails = append(gotDetails, p.Module+": "+p.Message)
				case p.Severity == "warning":
					warnings = append(warnings, p.Kind)
				}
			}
			if got.Consistent != want.Consistent {
				t.Fatalf("Consistent = %v, go list says %v\nours: %s\ngo's: %s", got.Consistent, want.Consistent, got.Message, want.Message)
			}
			if diff := cmp.Diff(want.Details, gotDetails); diff != "" {
				t.Errorf("problems differ from go list's (-go +ours):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantKinds, gotKinds); diff != "" {
				t.Errorf("problem kinds (-want +got):\n%s", diff)
			}
			if tc.wantWarn != "" && !slices.Contains(warnings, tc.wantWarn) {
				t.Errorf("warnings %q lack %s", warnings, tc.wantWarn)
			}
			switch {
			case want.Consistent:
				for _, m := range got.Modules {
					// A replacement directory's go.mod gives its go version.
					if gv, ok := want.GoVersions[m.Path]; ok && gv != m.GoVersion && m.ReplacePath == "" {
						t.Errorf("%s: go version %q, go list says %q", m, m.GoVersion, gv)
					}
				}
			case len(want.Details) > 0:
				if head, _, _ := strings.Cut(got.Message, "\n\n\tTo ignore"); head != want.Message {
					t.Errorf("message differs from go list's:\nours: %s\ngo's: %s", got.Message, want.Message)
				}
			default: // too new: the go command adds its GOTOOLCHAIN setting
				if !strings.HasPrefix(want.Message, strings.TrimSuffix(got.Message, ")")) {
					t.Errorf("message differs from go list's:\nours: %s\ngo's: %s", got.Message, want.Message)
				}
			}
		})
	}
}
