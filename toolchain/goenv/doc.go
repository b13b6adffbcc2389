// Package goenv explains the Go environment: every setting the go command
// would use, where it came from, what is wrong with it, and how the go
// command would fetch a given module — all without running the go
// command.
//
// # Resolution
//
// [Resolve] computes every variable "go env -json" prints (but
// GOGCCFLAGS) with its [Origin]: the process environment (non-empty values
// only), a line of the user's env file ($GOENV, by default
// os.UserConfigDir()/go/env; GOENV=off disables it), a line of
// $GOROOT/go.env (for keys the user file lacks), or a default rule — some
// read from the toolchain itself: its platform and version from the go
// binary's headers and build information (with archcheck), its buildcfg
// defaults (GOAMD64, GOARM64, ...) from
// $GOROOT/src/internal/buildcfg/zbootstrap.go. Each [Var] also says
// whether "go env -changed" would list it, which values in lower layers it
// hides, and whether the process environment sets it to the empty string
// (which overrides nothing). The rules follow cmd/go/internal/cfg,
// envcmd, modload and cache; the tests compare every key and the changed
// set with the go command's own output over 40 generated configurations.
//
// Where the go command is inconsistent, [Env.Notes] says so: "go env
// -changed" compares a value with $GOROOT/go.env's, so an edited go.env
// is never "changed" (golang/go#67542); a GOPATH set in the process
// environment is never "changed" either; GOROOT in both the user file and
// the environment makes the go command read one tree's go.env and use
// another tree.
//
// # Parsers and lint
//
// [ParseGOPROXY], [ParseGOSUMDB] (keys checked with
// golang.org/x/mod/sumdb/note), [ParsePatterns] (for GOPRIVATE,
// GONOPROXY, GONOSUMDB and GOINSECURE, with module.MatchPrefixPatterns
// semantics), [ParseGOFLAGS] (cmd/go's own quoting rules),
// [ParseGOTOOLCHAIN], [CheckDir], [CheckGOAUTH] and [CheckArchVar] each
// return [Finding] values with a stable ID, a severity, a message and the
// exact command that fixes the problem. [Lint] runs them all over an
// [Env] and adds the checks across layers: "go env -w" values shadowed by
// the environment, empty variables, credentials and typos ("did you mean")
// in the env file. [AuditArch] checks the environment against the
// machine: the go command's architecture against the hardware's, Intel
// Homebrew ahead of the native one on PATH, GOARCH left in the env file,
// foreign binaries in GOBIN, and the C compiler's target
// ("$CC -dumpmachine", the only program this package runs).
//
// Credentials — URL user information, GOAUTH command arguments, values of
// variables named like secrets — never appear in a Finding, a Route or an
// error: see [Redact] and [RedactVar].
//
// # Routes
//
// [RouteOf] says how the go command would fetch a module: the proxies in
// order and when the next is tried (after 404/410 for ',', after any error
// for '|'), or directly from the version control host; whether and by which
// checksum database it is verified; whether insecure fetches are allowed.
// [Probe] performs the @v/list request along the route and reports which
// step answered.
//
//	env, err := goenv.Resolve(nil)
//	if err != nil {
//		return err
//	}
//	for _, f := range goenv.Lint(env) {
//		fmt.Println(f)
//	}
//	r, err := goenv.RouteOf(env, "golang.org/x/mod")
package goenv
