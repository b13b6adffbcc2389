// Package modaudit audits a Go module's vendor directory, its module
// cache and its go.sum file the way the go command would, and further:
// before a build fails, and where "go mod verify" does not look.
//
// # Vendoring
//
// [CheckVendor] applies the go command's vendor/modules.txt consistency
// rules (cmd/go/internal/modload.checkVendorConsistency) to a module or a
// workspace: "## explicit" markers against go.mod's require lines,
// replacements in go.mod and go.work against "=>" lines, "## workspace"
// for "go work vendor", the relaxed rules before Go 1.14, and "## go"
// annotations newer than the go command. Each [VendorProblem] carries the
// go command's own message, so "inconsistent vendoring" shows up in an
// audit rather than in CI; the tests compare every verdict, and every
// module named, with "go list -mod=vendor". It also reports what the go
// command only notices on import: packages missing from the vendor
// directory, packages present but unlisted (ignored since Go 1.23) and
// modules without a go version, whose packages compile as Go 1.16.
//
// # Module cache
//
// [VerifyCache] is "go mod verify" with the same verdicts and messages:
// each module zip in GOMODCACHE/cache/download and each extracted tree is
// hashed (the h1: hash of golang.org/x/mod/sumdb/dirhash) and compared
// with the .ziphash the go command recorded. It spreads single files,
// not whole modules, over the cores, so no core idles while another
// hashes the largest module, and it names the files of a modified tree.
// [CacheCoverage] says how much of what a first build downloads is
// already cached. [Module.BuildList] reads the build list from go.mod and
// go.sum without running the go command.
//
// # go.sum against the checksum database
//
// "go mod verify" checks the cache against go.sum but never go.sum
// against the checksum database (golang.org/issue/47752), so a forged
// go.sum line, committed along with the code it vouches for, passes.
// [CheckSums] looks up every line, with signatures and inclusion proofs
// checked by toolchain.LookupModule.
//
// # Example
//
//	r, err := modaudit.VerifyCache(ctx, ".", modaudit.CacheOptions{})
//	if err != nil {
//		return err
//	}
//	for _, m := range r.Modules {
//		for _, e := range m.Errors {
//			fmt.Println(e) // "example.com/a v1.1.0: dir has been modified (...)"
//		}
//		for _, f := range m.Files {
//			fmt.Println("  ", f.Change, f.Name)
//		}
//	}
package modaudit
