package toolchain

import (
	"path"
	"strings"
)

// Install sources: how a Go tree got onto the machine. Each is the value
// of Install.Source.
const (
	SourceOfficial    = "official"      // the go.dev archive or .pkg/.msi installer: /usr/local/go
	SourceHomebrew    = "homebrew"      // a Homebrew keg: <prefix>/Cellar/go[@1.N]/<version>/libexec
	SourceGolangDL    = "golang.org/dl" // a golang.org/dl/goX.Y.Z wrapper's download: ~/sdk/goX.Y.Z
	SourceGoToolchain = "gotoolchain"   // fetched by the go command for GOTOOLCHAIN: $GOMODCACHE/golang.org/toolchain@...
	SourceGVM         = "gvm"
	SourceGoenv       = "goenv"
	SourceASDF        = "asdf"
	SourceMise        = "mise"
	SourceG           = "g" // github.com/voidint/g
	SourceGobrew      = "gobrew"
	SourceGimme       = "gimme"
	SourceDebian      = "debian" // the golang-1.N packages of Debian and Ubuntu
	SourceFedora      = "fedora" // the golang package of Fedora, RHEL and CentOS
	SourceNix         = "nix"
	SourceSnap        = "snap"
	SourceGOROOT      = "goroot-env" // only known because $GOROOT names it
	SourcePath        = "path"       // only known because a go on $PATH lives in it
	SourceExplicit    = "explicit"   // named by the caller in DiscoverOptions.Extra
)

// A location is one place an install method puts Go trees. Pattern is an
// absolute slash path inside the root whose elements may hold path.Match
// wildcards; a wildcard element is expanded by listing that one directory,
// so looking costs one directory listing per wildcard and never walks a
// tree. Each match is a candidate GOROOT; when it holds no Go tree but its
// "go" subdirectory does, that subdirectory is the GOROOT (some managers
// unpack the release archive, whose top directory is "go", as it is).
type location struct {
	source  string
	pattern string
}

// locations returns the places to look, with the user-specific ones
// resolved against env and home. The layouts come from each tool's own
// code or documentation, cited beside each entry.
func locations(env *goEnv, home string) []location {
	h := func(rel string) string { return path.Join(home, rel) }
	// or returns the first non-empty value: a tool's root variable, or its default.
	or := func(v, def string) string {
		if v != "" && path.IsAbs(v) {
			return v
		}
		return def
	}
	dataHome := or(env.get("XDG_DATA_HOME"), h(".local/share"))
	locs := []location{
		// The official archive is documented to be unpacked into
		// /usr/local (go.dev/doc/install), and the macOS .pkg installs
		// there too, adding /etc/paths.d/go (read by Discover separately).
		{SourceOfficial, "/usr/local/go"},

		// Homebrew's go formula does `libexec.install Dir["*"]` and
		// `bin.install_symlink Dir[libexec/"bin/go*"]`, so the GOROOT is
		// Cellar/go/<version>/libexec, next to INSTALL_RECEIPT.json.
		// Versioned formulae (go@1.22) use Cellar/go@1.22. The prefix is
		// /opt/homebrew on Apple Silicon, /usr/local on Intel Macs and
		// /home/linuxbrew/.linuxbrew on Linux.
		{SourceHomebrew, "/opt/homebrew/Cellar/go/*/libexec"},
		{SourceHomebrew, "/opt/homebrew/Cellar/go@*/*/libexec"},
		{SourceHomebrew, "/usr/local/Cellar/go/*/libexec"},
		{SourceHomebrew, "/usr/local/Cellar/go@*/*/libexec"},
		{SourceHomebrew, "/home/linuxbrew/.linuxbrew/Cellar/go/*/libexec"},
		{SourceHomebrew, "/home/linuxbrew/.linuxbrew/Cellar/go@*/*/libexec"},

		// golang.org/dl/internal/version: GOROOT is $HOME/sdk/<version>,
		// with a zero-byte ".unpacked-success" sentinel written after
		// unpacking ("gotip" is built from source in $HOME/sdk/gotip).
		{SourceGolangDL, h("sdk/go*")},

		// cmd/go/internal/toolchain downloads module golang.org/toolchain
		// version v0.0.1-<go version>.<goos>-<goarch> into the module cache
		// and runs bin/go from the extracted module directory.
		{SourceGoToolchain, path.Join(env.modCache(home), "golang.org/toolchain@v0.0.1-go*")},

		// gvm (moovweb/gvm): `GOROOT="$GVM_ROOT/gos/<name>"` in its
		// environment files; GVM_ROOT defaults to ~/.gvm.
		{SourceGVM, path.Join(or(env.get("GVM_ROOT"), h(".gvm")), "gos/*")},

		// goenv (go-nv/goenv) libexec/goenv-prefix: the prefix of a
		// version is "${GOENV_ROOT}/versions/<version>"; GOENV_ROOT
		// defaults to ~/.goenv.
		{SourceGoenv, path.Join(or(env.get("GOENV_ROOT"), h(".goenv")), "versions/*")},

		// asdf-golang bin/install untars the release archive into
		// $ASDF_INSTALL_PATH and sets GOROOT="$ASDF_INSTALL_PATH/go";
		// installs live in $ASDF_DATA_DIR/installs/golang/<version>.
		{SourceASDF, path.Join(or(env.get("ASDF_DATA_DIR"), h(".asdf")), "installs/golang/*/go")},

		// mise: $MISE_DATA_DIR (default $XDG_DATA_HOME/mise)
		// /installs/go/<version>, whose bin/go is run directly.
		{SourceMise, path.Join(or(env.get("MISE_DATA_DIR"), path.Join(dataHome, "mise")), "installs/go/*")},

		// voidint/g cli/cli.go: versionsDir = ~/.g/versions (G_HOME only
		// with G_EXPERIMENTAL=true); each version directory holds the
		// unpacked archive, so the GOROOT is its "go" subdirectory.
		{SourceG, path.Join(gHome(env, home), "versions/*")},

		// gobrew gobrew.go: versionsDir = $GOBREW_ROOT or $HOME, then
		// .gobrew/versions; existsVersion checks versions/<version>/go.
		{SourceGobrew, path.Join(or(env.get("GOBREW_ROOT"), home), ".gobrew/versions/*/go")},

		// gimme: GIMME_VERSION_PREFIX defaults to ~/.gimme/versions and
		// each install is go<version>.<os>.<arch> in it.
		{SourceGimme, path.Join(or(env.get("GIMME_VERSION_PREFIX"), h(".gimme/versions")), "go*")},

		// Debian's golang-1.N-go packages install the tree in
		// /usr/lib/go-1.N (with /usr/bin/go an alternatives symlink).
		{SourceDebian, "/usr/lib/go-*"},

		// Fedora's golang package: GOROOT is /usr/lib/golang.
		{SourceFedora, "/usr/lib/golang"},

		// nixpkgs' go derivation installs into $out/share/go; store
		// paths are named <hash>-go-<version>.
		{SourceNix, "/nix/store/*-go-*/share/go"},

		// The go snap mounts each revision at /snap/go/<rev>, with
		// /snap/go/current linking to the active one.
		{SourceSnap, "/snap/go/current"},
	}
	return locs
}

// gHome is voidint/g's home directory.
func gHome(env *goEnv, home string) string {
	if strings.EqualFold(env.get("G_EXPERIMENTAL"), "true") {
		if d := env.get("G_HOME"); d != "" && path.IsAbs(d) {
			return d
		}
	}
	return path.Join(home, ".g")
}

// classify names the install method of a GOROOT found some other way (on
// PATH, in $GOROOT) from where it lives, using the same locations.
func classify(locs []location, root string) string {
	for _, l := range locs {
		if matchPrefix(l.pattern, root) {
			return l.source
		}
	}
	return ""
}

// matchPrefix reports whether root is matched by pattern, or lies inside
// something pattern matches, or is the "go" subdirectory of a match.
// /snap/go/current is special: it resolves to /snap/go/<revision>.
func matchPrefix(pattern, root string) bool {
	pe := strings.Split(strings.TrimPrefix(pattern, "/"), "/")
	re := strings.Split(strings.TrimPrefix(root, "/"), "/")
	if pattern == "/snap/go/current" {
		pe = pe[:len(pe)-1]
		pe = append(pe, "*")
	}
	if len(re) < len(pe) {
		return false
	}
	for i, p := range pe {
		if ok, _ := path.Match(p, re[i]); !ok {
			return false
		}
	}
	return true
}
