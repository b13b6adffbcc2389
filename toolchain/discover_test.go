package toolchain_test

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nativego/nativego/archcheck"
	"github.com/nativego/nativego/internal/testenv"
	"github.com/nativego/nativego/toolchain"
)

// Trees are laid out by linking the files Discover reads (VERSION,
// go.env, bin/*, pkg/tool/*/*) from the real downloaded distributions:
// copying a 250 MB tree per test would take longer than the tests.
// Discover never opens anything else in a tree, so the trees behave as
// complete ones would; the benchmark would notice if that changed.

// official returns the extracted official distribution for goos/goarch.
func official(t testing.TB, goos, goarch string) string {
	t.Helper()
	return testenv.Toolchain(t, testenv.OfficialVersion, goos, goarch)
}

// plant lays out the Go tree src at dst inside root. Files are
// hard-linked when possible and copied otherwise; go.env is always
// copied so that a test may edit it.
func plant(t testing.TB, root, dst, src string) {
	t.Helper()
	files := []string{"VERSION", "go.env", "bin/go", "bin/gofmt"}
	tools, err := filepath.Glob(filepath.Join(src, "pkg/tool/*/*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range tools {
		rel, _ := filepath.Rel(src, p)
		files = append(files, filepath.ToSlash(rel))
	}
	for _, f := range files {
		from := filepath.Join(src, filepath.FromSlash(f))
		to := filepath.Join(root, filepath.FromSlash(dst), filepath.FromSlash(f))
		if _, err := os.Stat(from); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		linkOrCopy(t, from, to, f == "go.env")
	}
}

func linkOrCopy(t testing.TB, from, to string, forceCopy bool) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	os.Remove(to)
	if !forceCopy && os.Link(from, to) == nil {
		return
	}
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// symlink makes the symbolic link name (inside root) pointing to target.
func symlink(t testing.TB, root, target, name string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.FromSlash(target), p); err != nil {
		t.Fatal(err)
	}
}

// writeFile writes a file inside root.
func writeFile(t testing.TB, root, name, content string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// summary is the part of an Install the layout tests compare.
type summary struct {
	Root, Version, GOOS, GOARCH, Source string
	OnPath                              int
	Active                              bool
	Codes                               []string
}

func summarize(installs []toolchain.Install) []summary {
	var out []summary
	for _, in := range installs {
		s := summary{Root: in.Root, Version: in.Version, GOOS: in.GOOS, GOARCH: in.GOARCH, Source: in.Source, OnPath: in.OnPath, Active: in.Active}
		for _, f := range in.Findings {
			s.Codes = append(s.Codes, f.Severity+":"+f.Code)
		}
		out = append(out, s)
	}
	return out
}

func find(installs []toolchain.Install, root string) *toolchain.Install {
	for i := range installs {
		if installs[i].Root == root {
			return &installs[i]
		}
	}
	return nil
}

const home = "/Users/gopher"

// appleSiliconHome lays out the acceptance machine: an Apple Silicon Mac
// that came from an Intel one by migration, holding an Intel Homebrew go,
// an arm64 golang.org/dl go and a GOTOOLCHAIN download.
func appleSiliconHome(t testing.TB) string {
	t.Helper()
	arm, amd := official(t, "darwin", "arm64"), official(t, "darwin", "amd64")
	root := t.TempDir()
	v := strings.TrimPrefix(testenv.OfficialVersion, "go")

	// Homebrew: libexec holds the tree, bin/ links into it, and
	// /usr/local/bin links to the keg's bin with relative links.
	keg := "/usr/local/Cellar/go/" + v
	plant(t, root, keg+"/libexec", amd)
	writeFile(t, root, keg+"/INSTALL_RECEIPT.json", `{"homebrew_version":"4.4.0","installed_on_request":true}`+"\n")
	symlink(t, root, "../libexec/bin/go", keg+"/bin/go")
	symlink(t, root, "../Cellar/go/"+v+"/bin/go", "/usr/local/bin/go")

	sdk := home + "/sdk/" + testenv.OfficialVersion
	plant(t, root, sdk, arm)
	writeFile(t, root, sdk+"/.unpacked-success", "")

	plant(t, root, home+"/go/pkg/mod/golang.org/toolchain@v0.0.1-"+testenv.OfficialVersion+".darwin-arm64", arm)
	return root
}

func TestDiscoverAppleSilicon(t *testing.T) {
	root := appleSiliconHome(t)
	v := strings.TrimPrefix(testenv.OfficialVersion, "go")
	homebrew := "/usr/local/Cellar/go/" + v + "/libexec"
	sdk := home + "/sdk/" + testenv.OfficialVersion
	modcache := home + "/go/pkg/mod/golang.org/toolchain@v0.0.1-" + testenv.OfficialVersion + ".darwin-arm64"

	tests := []struct {
		name string
		path string
		want []summary
	}{
		{
			name: "intel homebrew first",
			path: "/usr/local/bin:" + sdk + "/bin:/usr/bin:/bin",
			want: []summary{
				{Root: homebrew, Version: testenv.OfficialVersion, GOOS: "darwin", GOARCH: "amd64", Source: "homebrew", OnPath: 1, Active: true,
					Codes: []string{"error:rosetta-toolchain", "warning:intel-homebrew-prefix"}},
				{Root: sdk, Version: testenv.OfficialVersion, GOOS: "darwin", GOARCH: "arm64", Source: "golang.org/dl", OnPath: 2},
				{Root: modcache, Version: testenv.OfficialVersion, GOOS: "darwin", GOARCH: "arm64", Source: "gotoolchain"},
			},
		},
		{
			name: "sdk first",
			path: sdk + "/bin:/usr/local/bin:/usr/bin",
			want: []summary{
				{Root: sdk, Version: testenv.OfficialVersion, GOOS: "darwin", GOARCH: "arm64", Source: "golang.org/dl", OnPath: 1, Active: true},
				{Root: homebrew, Version: testenv.OfficialVersion, GOOS: "darwin", GOARCH: "amd64", Source: "homebrew", OnPath: 2,
					Codes: []string{"warning:rosetta-toolchain", "warning:intel-homebrew-prefix"}},
				{Root: modcache, Version: testenv.OfficialVersion, GOOS: "darwin", GOARCH: "arm64", Source: "gotoolchain"},
			},
		},
		{
			name: "no go on path",
			path: "/usr/bin:/bin",
			want: []summary{
				{Root: modcache, Version: testenv.OfficialVersion, GOOS: "darwin", GOARCH: "arm64", Source: "gotoolchain"},
				{Root: sdk, Version: testenv.OfficialVersion, GOOS: "darwin", GOARCH: "arm64", Source: "golang.org/dl"},
				{Root: homebrew, Version: testenv.OfficialVersion, GOOS: "darwin", GOARCH: "amd64", Source: "homebrew",
					Codes: []string{"warning:rosetta-toolchain", "warning:intel-homebrew-prefix"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := toolchain.Discover(t.Context(), toolchain.DiscoverOptions{
				Root: root, Home: home, PATH: tt.path, Env: []string{"HOME=" + home},
				Host: archcheck.Target("darwin", "arm64"),
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, summarize(got)); diff != "" {
				t.Errorf("Discover (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDiscoverVersions checks the versions Discover reads against the go
// command's own reading of the same binaries (`go version FILE`).
func TestDiscoverVersions(t *testing.T) {
	root := appleSiliconHome(t)
	got, err := toolchain.Discover(t.Context(), toolchain.DiscoverOptions{
		Root: root, Home: home, PATH: "/usr/bin", Env: []string{}, Host: archcheck.Target("darwin", "arm64"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 {
		t.Fatal("Discover found nothing")
	}
	for _, inst := range got {
		host := filepath.Join(root, filepath.FromSlash(inst.Root))
		files := []string{path.Join("bin", "go")}
		for _, tool := range inst.Tools {
			files = append(files, path.Join("pkg/tool", tool.GOOS+"_"+tool.GOARCH, tool.Name))
		}
		want := make(map[string]string)
		for _, f := range files {
			out := string(testenv.Run(t, testenv.GoCommand(t, "version", filepath.Join(host, f))))
			_, v, _ := strings.Cut(strings.TrimSpace(out), ": ")
			want[f] = v
		}
		gotV := map[string]string{"bin/go": inst.BinaryVersion}
		for _, tool := range inst.Tools {
			gotV[path.Join("pkg/tool", tool.GOOS+"_"+tool.GOARCH, tool.Name)] = tool.Version
		}
		if diff := cmp.Diff(want, gotV); diff != "" {
			t.Errorf("%s: versions (-want go version +got):\n%s", inst.Root, diff)
		}
		if len(inst.Tools) < 8 {
			t.Errorf("%s: %d tools, want the 8 a release ships", inst.Root, len(inst.Tools))
		}
	}
}

// TestDiscoverThisMachine finds the go running the tests on the real
// filesystem and checks its version against `go env`.
func TestDiscoverThisMachine(t *testing.T) {
	out := strings.Fields(string(testenv.Run(t, testenv.GoCommand(t, "env", "GOVERSION", "GOROOT"))))
	if len(out) != 2 {
		t.Fatalf("go env printed %q", out)
	}
	wantVersion, goroot := out[0], out[1]
	goroot, err := filepath.EvalSymlinks(goroot)
	if err != nil {
		t.Fatal(err)
	}
	got, err := toolchain.Discover(t.Context(), toolchain.DiscoverOptions{Root: "/"})
	if err != nil {
		t.Fatal(err)
	}
	inst := find(got, filepath.ToSlash(goroot))
	if inst == nil {
		t.Fatalf("Discover did not find %s; found %v", goroot, summarize(got))
	}
	if inst.Version != wantVersion || inst.BinaryVersion != wantVersion {
		t.Errorf("%s: Version %q, BinaryVersion %q; go env GOVERSION says %q", goroot, inst.Version, inst.BinaryVersion, wantVersion)
	}
	if inst.GOOS == "" || inst.GOARCH == "" || len(inst.Tools) == 0 {
		t.Errorf("%s: incomplete install read: %+v", goroot, inst)
	}
}

// TestDiscoverSources lays out one tree the way each install method does
// and checks that Discover finds it there and names the method.
func TestDiscoverSources(t *testing.T) {
	arm := official(t, "darwin", "arm64")
	v := strings.TrimPrefix(testenv.OfficialVersion, "go")
	tests := []struct {
		name     string
		dst      string // where the tree goes
		extra    func(t *testing.T, root string)
		env      []string
		path     string
		wantRoot string // "" means dst
		source   string
		onPath   int
	}{
		{name: "official", dst: "/usr/local/go", source: "official"},
		{name: "official pkg via paths.d", dst: "/usr/local/go", source: "official",
			extra: func(t *testing.T, root string) { writeFile(t, root, "/etc/paths.d/go", "/usr/local/go/bin\n") }},
		{name: "homebrew apple silicon", dst: "/opt/homebrew/Cellar/go/" + v + "/libexec", source: "homebrew",
			extra: func(t *testing.T, root string) {
				symlink(t, root, "../libexec/bin/go", "/opt/homebrew/Cellar/go/"+v+"/bin/go")
				symlink(t, root, "../Cellar/go/"+v+"/bin/go", "/opt/homebrew/bin/go")
			},
			path: "/opt/homebrew/bin:/usr/bin", onPath: 1},
		{name: "homebrew versioned formula", dst: "/opt/homebrew/Cellar/go@1.27/" + v + "/libexec", source: "homebrew"},
		{name: "golang.org/dl", dst: home + "/sdk/go" + v, source: "golang.org/dl",
			extra: func(t *testing.T, root string) { writeFile(t, root, home+"/sdk/go"+v+"/.unpacked-success", "") }},
		{name: "gotoolchain", dst: home + "/go/pkg/mod/golang.org/toolchain@v0.0.1-go" + v + ".darwin-arm64", source: "gotoolchain"},
		{name: "gotoolchain GOMODCACHE from go env file", dst: "/cache/mod/golang.org/toolchain@v0.0.1-go" + v + ".darwin-arm64", source: "gotoolchain",
			extra: func(t *testing.T, root string) {
				writeFile(t, root, home+"/Library/Application Support/go/env", "GOMODCACHE=/cache/mod\n")
			}},
		{name: "gotoolchain GOPATH from environment", dst: "/work/gopath/pkg/mod/golang.org/toolchain@v0.0.1-go" + v + ".darwin-arm64", source: "gotoolchain",
			env: []string{"GOPATH=/work/gopath:/other"}},
		{name: "gvm", dst: home + "/.gvm/gos/go" + v, source: "gvm"},
		{name: "goenv", dst: home + "/.goenv/versions/" + v, source: "goenv"},
		{name: "goenv GOENV_ROOT", dst: "/opt/goenv/versions/" + v, source: "goenv", env: []string{"GOENV_ROOT=/opt/goenv"}},
		{name: "asdf", dst: home + "/.asdf/installs/golang/" + v + "/go", source: "asdf"},
		{name: "mise", dst: home + "/.local/share/mise/installs/go/" + v, source: "mise",
			extra: func(t *testing.T, root string) {
				// mise links partial versions to the full one: one install, not two.
				symlink(t, root, v, home+"/.local/share/mise/installs/go/1.27")
			}},
		{name: "g", dst: home + "/.g/versions/" + v + "/go", source: "g",
			extra: func(t *testing.T, root string) { symlink(t, root, "versions/"+v+"/go", home+"/.g/go") },
			path:  home + "/.g/go/bin", onPath: 1},
		{name: "gobrew", dst: home + "/.gobrew/versions/" + v + "/go", source: "gobrew"},
		{name: "gimme", dst: home + "/.gimme/versions/go" + v + ".darwin.arm64", source: "gimme"},
		{name: "debian", dst: "/usr/lib/go-1.27", source: "debian",
			extra: func(t *testing.T, root string) {
				symlink(t, root, "/usr/lib/go-1.27/bin/go", "/etc/alternatives/go")
				symlink(t, root, "/etc/alternatives/go", "/usr/bin/go")
			},
			path: "/usr/local/bin:/usr/bin", onPath: 1},
		{name: "fedora", dst: "/usr/lib/golang", source: "fedora",
			extra: func(t *testing.T, root string) { symlink(t, root, "../lib/golang/bin/go", "/usr/bin/go") },
			path:  "/usr/bin", onPath: 1},
		{name: "nix", dst: "/nix/store/0c4ih2f3yqhpnhkkg4rxqhqmj9x2ylrb-go-" + v + "/share/go", source: "nix"},
		{name: "snap", dst: "/snap/go/10730", wantRoot: "/snap/go/10730", source: "snap",
			extra: func(t *testing.T, root string) { symlink(t, root, "10730", "/snap/go/current") }},
		{name: "GOROOT only", dst: "/opt/go-custom", source: "goroot-env", env: []string{"GOROOT=/opt/go-custom"}},
		{name: "PATH only", dst: "/opt/tools/go", source: "path", path: "/opt/tools/go/bin", onPath: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			plant(t, root, tt.dst, arm)
			if tt.extra != nil {
				tt.extra(t, root)
			}
			p := tt.path
			if p == "" {
				p = "/usr/bin:/bin"
			}
			got, err := toolchain.Discover(t.Context(), toolchain.DiscoverOptions{
				Root: root, Home: home, PATH: p, Env: append([]string{"HOME=" + home}, tt.env...),
				Host: archcheck.Target("darwin", "arm64"),
			})
			if err != nil {
				t.Fatal(err)
			}
			want := []summary{{Root: cmpOr(tt.wantRoot, tt.dst), Version: testenv.OfficialVersion, GOOS: "darwin", GOARCH: "arm64",
				Source: tt.source, OnPath: tt.onPath, Active: tt.onPath == 1}}
			if diff := cmp.Diff(want, summarize(got)); diff != "" {
				t.Errorf("Discover (-want +got):\n%s", diff)
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// TestDiscoverFindings builds the damaged and misconfigured installs each
// finding is about, from real files.
func TestDiscoverFindings(t *testing.T) {
	arm := official(t, "darwin", "arm64")
	local := runtimeGOROOT(t) // a different release, for mixing
	sdk := home + "/sdk/" + testenv.OfficialVersion
	tests := []struct {
		name   string
		setup  func(t *testing.T, root string)
		env    []string
		path   string
		want   []string // finding codes on sdk
		detail string   // a substring of some finding's message
	}{
		{name: "clean", want: nil},
		{name: "incomplete download", setup: func(t *testing.T, root string) {
			os.Remove(filepath.Join(root, sdk, ".unpacked-success"))
		}, want: []string{"warning:incomplete-download"}},
		{name: "tool from another release", setup: func(t *testing.T, root string) {
			linkOrCopy(t, filepath.Join(local, "pkg/tool", toolDir(t, local), "vet"), filepath.Join(root, sdk, "pkg/tool/darwin_arm64/vet"), false)
		}, want: []string{"error:tool-version-mismatch"}, detail: "vet ("},
		{name: "go command from another release", setup: func(t *testing.T, root string) {
			linkOrCopy(t, filepath.Join(local, "bin/go"), filepath.Join(root, sdk, "bin/go"), false)
		}, path: "/usr/bin", want: wantForeignGo(t, local), detail: "but bin/go was built by"},
		{name: "GOBIN inside GOROOT", env: []string{"GOBIN=" + sdk + "/bin"}, want: []string{"warning:gobin-in-goroot"}},
		{name: "GOBIN from go env file", setup: func(t *testing.T, root string) {
			writeFile(t, root, home+"/Library/Application Support/go/env", "GOBIN="+sdk+"/bin/extra\n")
		}, want: []string{"warning:gobin-in-goroot"}},
		{name: "GOROOT elsewhere", setup: func(t *testing.T, root string) {
			plant(t, root, "/usr/local/go", arm)
		}, env: []string{"GOROOT=/usr/local/go"}, want: []string{"error:goroot-mismatch"}},
		{name: "edited go.env", setup: func(t *testing.T, root string) {
			p := filepath.Join(root, sdk, "go.env")
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			s := strings.Replace(string(b), "GOTOOLCHAIN=auto", "GOTOOLCHAIN=local", 1) + "GOFLAGS=-mod=mod\n"
			if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
		}, want: []string{"warning:edited-go-env"}, detail: "GOFLAGS=-mod=mod added; GOTOOLCHAIN changed to local"},
		{name: "GOTOOLCHAIN names another release", env: []string{"GOTOOLCHAIN=go1.99.0"},
			want: []string{"info:gotoolchain-switch"}, detail: "GOTOOLCHAIN=go1.99.0"},
		{name: "GOTOOLCHAIN minimum already met", env: []string{"GOTOOLCHAIN=go1.21.0+auto"}, want: nil},
		{name: "GOTOOLCHAIN local", env: []string{"GOTOOLCHAIN=local"}, want: nil},
		{name: "missing go.env", setup: func(t *testing.T, root string) {
			os.Remove(filepath.Join(root, sdk, "go.env"))
		}, want: []string{"warning:missing-go-env"}},
		{name: "unreadable go command", setup: func(t *testing.T, root string) {
			os.Remove(filepath.Join(root, sdk, "bin/go"))
		}, path: "/usr/bin", want: []string{"error:no-go-command"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			plant(t, root, sdk, arm)
			writeFile(t, root, sdk+"/.unpacked-success", "")
			if tt.setup != nil {
				tt.setup(t, root)
			}
			p := cmpOr(tt.path, sdk+"/bin:/usr/bin")
			got, err := toolchain.Discover(t.Context(), toolchain.DiscoverOptions{
				Root: root, Home: home, PATH: p, Env: append([]string{"HOME=" + home}, tt.env...),
				Host: archcheck.Target("darwin", "arm64"),
			})
			if err != nil {
				t.Fatal(err)
			}
			inst := find(got, sdk)
			if inst == nil {
				t.Fatalf("%s not found: %v", sdk, summarize(got))
			}
			var codes, messages []string
			for _, f := range inst.Findings {
				codes = append(codes, f.Severity+":"+f.Code)
				messages = append(messages, f.Message)
				if f.Fix == "" || f.Message == "" {
					t.Errorf("finding %s has no message or fix: %+v", f.Code, f)
				}
			}
			slices.Sort(codes)
			if diff := cmp.Diff(tt.want, codes); diff != "" {
				t.Errorf("findings (-want +got):\n%s\nmessages: %q", diff, messages)
			}
			if tt.detail != "" && !strings.Contains(strings.Join(messages, "\n"), tt.detail) {
				t.Errorf("no finding message contains %q: %q", tt.detail, messages)
			}
		})
	}
}

// runtimeGOROOT is the tree of the go command running the tests: a real
// release other than testenv.OfficialVersion, to mix files with.
func runtimeGOROOT(t *testing.T) string {
	t.Helper()
	out := strings.Fields(string(testenv.Run(t, testenv.GoCommand(t, "env", "GOROOT", "GOVERSION"))))
	if len(out) != 2 || out[1] == testenv.OfficialVersion {
		t.Skipf("need a go command other than %s to mix releases; have %q", testenv.OfficialVersion, out)
	}
	return out[0]
}

// toolDir is the one pkg/tool directory of a release.
func toolDir(t *testing.T, goroot string) string {
	t.Helper()
	dirs, err := os.ReadDir(filepath.Join(goroot, "pkg/tool"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("pkg/tool of %s: %v", goroot, err)
	}
	return dirs[0].Name()
}

// wantForeignGo is what a darwin/arm64 host says about a go command taken
// from the local release: a version mismatch, and a foreign platform
// unless the tests run on an Apple Silicon Mac.
func wantForeignGo(t *testing.T, goroot string) []string {
	codes := []string{"error:version-mismatch"}
	if d := toolDir(t, goroot); d != "darwin_arm64" {
		codes = append(codes, "warning:foreign-toolchain")
		if d == "darwin_amd64" {
			codes[1] = "warning:rosetta-toolchain"
		}
	}
	slices.Sort(codes)
	return codes
}

func BenchmarkDiscover(b *testing.B) {
	arm, amd := official(b, "darwin", "arm64"), official(b, "darwin", "amd64")
	root := b.TempDir()
	var pathList []string
	for i := range 20 {
		src := arm
		if i%2 == 1 {
			src = amd
		}
		dst := path.Join(home, "sdk", "go1.27."+string(rune('a'+i)))
		plant(b, root, dst, src)
		writeFile(b, root, dst+"/.unpacked-success", "")
		if i%4 == 0 {
			pathList = append(pathList, dst+"/bin")
		}
	}
	opts := toolchain.DiscoverOptions{
		Root: root, Home: home, PATH: strings.Join(pathList, ":"), Env: []string{"HOME=" + home},
		Host: archcheck.Target("darwin", "arm64"),
	}
	b.ReportAllocs()
	for b.Loop() {
		got, err := toolchain.Discover(b.Context(), opts)
		if err != nil {
			b.Fatal(err)
		}
		if len(got) != 20 {
			b.Fatalf("found %d installs, want 20", len(got))
		}
	}
}

// TestDiscoverOnly checks that DiscoverOptions.Only reports the named
// trees alone, with the findings the other installs imply: the named
// Intel tree is still the active go, so its Rosetta finding is an error.
func TestDiscoverOnly(t *testing.T) {
	root := appleSiliconHome(t)
	v := strings.TrimPrefix(testenv.OfficialVersion, "go")
	homebrew := "/usr/local/Cellar/go/" + v + "/libexec"
	sdk := home + "/sdk/" + testenv.OfficialVersion
	got, err := toolchain.Discover(t.Context(), toolchain.DiscoverOptions{
		Root: root, Home: home, PATH: "/usr/local/bin:" + sdk + "/bin:/usr/bin", Env: []string{"HOME=" + home},
		Host:  archcheck.Target("darwin", "arm64"),
		Extra: []string{homebrew + "/bin/.."}, Only: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []summary{{Root: homebrew, Version: testenv.OfficialVersion, GOOS: "darwin", GOARCH: "amd64", Source: "homebrew", OnPath: 1, Active: true,
		Codes: []string{"error:rosetta-toolchain", "warning:intel-homebrew-prefix"}}}
	if diff := cmp.Diff(want, summarize(got)); diff != "" {
		t.Errorf("Discover(Only) (-want +got):\n%s", diff)
	}
}
