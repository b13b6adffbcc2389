// Package toolchain finds the Go installations on a machine and says what
// is wrong with each, without executing anything, and proves an installed
// tree intact against the Go checksum database.
//
// # Discovering installs
//
// [Discover] looks where each install method puts Go trees: the official
// archive and macOS .pkg (/usr/local/go, /etc/paths.d/go), Homebrew on
// Apple Silicon (/opt/homebrew) and Intel (/usr/local), golang.org/dl
// (~/sdk), GOTOOLCHAIN downloads in the module cache, gvm, goenv, asdf,
// mise, g, gobrew, gimme, the Debian, Fedora, nix and snap packages, plus
// $GOROOT and every go on PATH. Each look is one directory listing of a
// known place; no tree is walked. Of each tree it reads only VERSION,
// go.env, the .unpacked-success marker, and the headers and build
// information of bin/go and pkg/tool/*/*, so a scan of twenty trees takes
// milliseconds and never runs a binary that might be for another
// architecture or damaged.
//
// Each [Install] records its version, the platform its go command is
// built for, how it was installed, where it stands on PATH and whether it
// is the go a shell would run.
//
// # Findings
//
// Each install carries [Finding] values with a concrete fix:
//
//   - rosetta-toolchain: a darwin/amd64 go on an Apple Silicon Mac, which
//     runs under Rosetta 2 and builds amd64 programs by default;
//   - foreign-toolchain: a go for another OS or architecture altogether;
//   - intel-homebrew-prefix: a Go from the Intel Homebrew on Apple Silicon;
//   - goroot-mismatch: $GOROOT naming another tree than the active go's;
//   - version-mismatch, tool-version-mismatch: VERSION disagreeing with
//     the build information of bin/go or pkg/tool, a sign of two
//     releases unpacked over each other;
//   - gobin-in-goroot: GOBIN inside a Go tree;
//   - edited-go-env, missing-go-env: a go.env that differs from the one
//     every release since Go 1.21 ships;
//   - incomplete-download: a golang.org/dl tree without its marker;
//   - gotoolchain-switch: GOTOOLCHAIN makes the active go run another
//     release;
//   - no-go-command: a tree whose bin/go cannot be read.
//
// Findings depend on the host: pass [DiscoverOptions].Host to ask about
// another machine, such as archcheck.Target("darwin", "arm64").
//
// # Verifying a tree
//
// [Verify] maps an installed tree onto the golang.org/toolchain module the
// Go release tooling publishes for its version and platform (dropping
// api/, doc/, misc/ and test/, renaming go.mod to _go.mod), hashes it the
// way the go command hashes modules, and compares the result with the
// hash the Go checksum database holds — fetched with signatures and tree
// proofs verified, honouring GOPROXY and GOSUMDB — or with a go.sum line
// given offline. On a mismatch it fetches the module zip through GOPROXY
// and names each file that was modified, is missing or was added; an
// edited go.env, the most common difference, gets a note of its own.
// Trees built from source (Homebrew, Debian, Fedora, nix) are reported as
// not verifiable rather than tampered. [VerifyArchive] checks a downloaded
// archive or installer against the release list's SHA-256.
//
// # Example
//
//	installs, err := toolchain.Discover(ctx, toolchain.DiscoverOptions{})
//	if err != nil {
//		return err
//	}
//	for _, inst := range installs {
//		fmt.Println(inst.Root, inst.Version, inst.GOOS+"/"+inst.GOARCH, inst.Source, inst.Active)
//		for _, f := range inst.Findings {
//			fmt.Printf("  %s %s: %s\n  fix: %s\n", f.Severity, f.Code, f.Message, f.Fix)
//		}
//	}
package toolchain
