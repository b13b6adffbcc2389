package goenv

import (
	"os"
	"path/filepath"
	"strings"
)

// resolveVars computes every variable but GOENV and GOROOT, following
// cmd/go/internal/cfg, envcmd.MkEnv, ExtraEnvVars and ExtraEnvVarsCostly.
func (r *resolver) resolveVars(goroot, dir string) {
	tc := r.tc

	// GOOS and GOARCH: build.Default takes the process environment or the
	// go binary's runtime values; cfg then lets the env files in too.
	goos, osOrigin := r.envOr("GOOS", tc.GOOS, defaultOrigin("the go binary's GOOS"))
	goarch, archOrigin := r.envOr("GOARCH", tc.GOARCH, defaultOrigin("the go binary's GOARCH"))
	r.add(Var{Name: "GOOS", Value: goos, Origin: osOrigin, Changed: goos != tc.GOOS})
	r.add(Var{Name: "GOARCH", Value: goarch, Origin: archOrigin, Changed: goarch != tc.GOARCH})
	r.add(Var{Name: "GOHOSTOS", Value: tc.GOOS, Origin: defaultOrigin("the go binary's GOOS")})
	r.add(Var{Name: "GOHOSTARCH", Value: tc.GOARCH, Origin: defaultOrigin("the go binary's GOARCH")})
	exe := ""
	if goos == "windows" {
		exe = ".exe"
	}
	r.add(Var{Name: "GOEXE", Value: exe, Origin: defaultOrigin(`".exe" for GOOS=windows, else empty`)})
	r.add(Var{Name: "GOVERSION", Value: tc.Version, Origin: defaultOrigin("the go binary's build information")})
	toolDir := ""
	if goroot != "" {
		toolDir = filepath.Join(goroot, "pkg", "tool", tc.GOOS+"_"+tc.GOARCH)
	}
	r.add(Var{Name: "GOTOOLDIR", Value: toolDir, Origin: defaultOrigin("$GOROOT/pkg/tool/$GOHOSTOS_$GOHOSTARCH")})

	// GO111MODULE is listed as changed unless "" or "on".
	g111 := r.plain("GO111MODULE")
	r.setChanged("GO111MODULE", g111.Value != "" && g111.Value != "on")
	r.envOrAndChanged("GOAUTH", "netrc", defaultOrigin("netrc"))
	r.plain("GOBIN")
	r.envOrAndChanged("GOCACHEPROG", "", defaultOrigin("empty"))
	if v := r.env["GODEBUG"]; v != "" {
		// GODEBUG is read from the process environment only.
		r.add(Var{Name: "GODEBUG", Value: v, Origin: envOrigin(), Changed: true})
	} else {
		r.add(Var{Name: "GODEBUG", Origin: defaultOrigin("empty; only the process environment sets it")})
	}
	exp, expOrigin := r.envOr("GOEXPERIMENT", tc.Defaults["EXPERIMENT"], tc.defaultOrigin("EXPERIMENT"))
	r.add(Var{Name: "GOEXPERIMENT", Value: exp, Origin: expOrigin, Changed: exp != ""})
	r.envOrAndChanged("GOFIPS140", tc.Defaults["GOFIPS140"], tc.defaultOrigin("GOFIPS140"))
	r.plain("GOFLAGS")
	r.plain("GOINSECURE")
	private := r.plain("GOPRIVATE")
	r.envOrAndChanged("GONOPROXY", private.Value, defaultOrigin("$GOPRIVATE"))
	r.envOrAndChanged("GONOSUMDB", private.Value, defaultOrigin("$GOPRIVATE"))
	r.envOrAndChanged("GOPROXY", "", defaultOrigin("empty"))
	r.envOrAndChanged("GOSUMDB", "", defaultOrigin("empty"))
	r.envOrAndChanged("GOTOOLCHAIN", "", defaultOrigin("empty"))
	r.plain("GOTMPDIR")
	r.plain("GOVCS")

	r.resolvePaths(goroot)
	r.resolveTelemetry()
	r.resolveArchVar(goarch)
	r.resolveC(goos, goarch)
	r.resolveModule(goroot, dir)
}

// setChanged overrides the Changed bit of the last variable added.
func (r *resolver) setChanged(name string, changed bool) {
	for i := len(r.vars) - 1; i >= 0; i-- {
		if r.vars[i].Name == name {
			r.vars[i].Changed = changed
			return
		}
	}
}

// resolvePaths computes GOPATH, GOMODCACHE and GOCACHE.
func (r *resolver) resolvePaths(goroot string) {
	home := homeVar(r.goos)

	// go/build.Default.GOPATH is the process environment's GOPATH or
	// $HOME/go (unless that is the GOROOT the go binary was built with);
	// cfg then lets the env files override it and calls GOPATH changed
	// when it differs from build.Default.GOPATH. So a GOPATH set in the
	// process environment is never "changed": the default it is compared
	// with is itself.
	def, defOrigin := "", defaultOrigin("none: $"+home+" is not set")
	if v := r.env["GOPATH"]; v != "" {
		def, defOrigin = v, envOrigin()
	} else if h := r.env[home]; h != "" {
		def, defOrigin = filepath.Join(h, "go"), defaultOrigin("$"+home+"/go")
		if filepath.Clean(def) == filepath.Clean(goroot) && r.env["GOROOT"] != "" {
			def, defOrigin = "", defaultOrigin("none: $"+home+"/go is GOROOT")
		}
	}
	gopath := r.envOrAndChanged("GOPATH", def, defOrigin)
	if gopath.Origin.Source == FromEnvironment && !gopath.Changed && r.env["GOPATH"] != "" {
		if _, ok := r.user.Lookup("GOPATH"); ok || filepath.Join(r.env[home], "go") != gopath.Value {
			r.note("GOPATH", "GOPATH is set in the process environment: \"go env -changed\" never lists it, because the go command compares it with a default computed from the same environment variable")
		}
	}

	mcDef, mcOrigin := "", defaultOrigin("none: GOPATH is empty")
	if list := filepath.SplitList(gopath.Value); len(list) > 0 && list[0] != "" {
		mcDef, mcOrigin = filepath.Join(list[0], "pkg", "mod"), defaultOrigin("first GOPATH entry + /pkg/mod")
	}
	r.envOrAndChanged("GOMODCACHE", mcDef, mcOrigin)

	// cache.DefaultDir: GOCACHE, or os.UserCacheDir()/go-build; a relative
	// GOCACHE turns the cache off.
	var cacheDef string
	var cacheOrigin Origin
	if d, err := r.env.userCacheDir(r.goos); err == nil {
		cacheDef, cacheOrigin = filepath.Join(d, "go-build"), defaultOrigin("os.UserCacheDir()/go-build")
	} else {
		cacheDef, cacheOrigin = "off", defaultOrigin("off: "+err.Error())
	}
	v, o, _ := r.getenv("GOCACHE")
	switch {
	case v == "":
		r.add(Var{Name: "GOCACHE", Value: cacheDef, Origin: cacheOrigin})
	case filepath.IsAbs(v) || v == "off":
		r.add(Var{Name: "GOCACHE", Value: v, Origin: o, Changed: v != cacheDef})
	default:
		o.Rule = "off: GOCACHE is not an absolute path"
		r.add(Var{Name: "GOCACHE", Value: "off", Origin: o, Changed: v != cacheDef})
	}
}

// resolveTelemetry computes GOTELEMETRY and GOTELEMETRYDIR as
// golang.org/x/telemetry does: a mode file under
// os.UserConfigDir()/go/telemetry, "local" when it is missing. "go env
// -changed" never lists them, even when "go telemetry off" changed the
// mode (golang/go#68960).
func (r *resolver) resolveTelemetry() {
	dir, err := r.env.userConfigDir(r.goos)
	if err != nil {
		r.add(Var{Name: "GOTELEMETRY", Value: "off", Origin: defaultOrigin("off: " + err.Error())})
		r.add(Var{Name: "GOTELEMETRYDIR", Origin: defaultOrigin("none: " + err.Error())})
		return
	}
	tdir := filepath.Join(dir, "go", "telemetry")
	mode, origin := "local", defaultOrigin("local: no mode file")
	modeFile := filepath.Join(tdir, "mode")
	if data, err := os.ReadFile(modeFile); err == nil && len(data) < 4096 {
		mode = strings.TrimSpace(string(data))
		mode, _, _ = strings.Cut(mode, " ") // "on 2024-01-02": the mode and the date it took effect
		origin = Origin{Source: FromDefault, Rule: "telemetry mode file", File: modeFile}
	}
	r.add(Var{Name: "GOTELEMETRY", Value: mode, Origin: origin})
	r.add(Var{Name: "GOTELEMETRYDIR", Value: tdir, Origin: defaultOrigin("os.UserConfigDir()/go/telemetry")})
}

// archVars maps a GOARCH to its microarchitecture variable (cfg.GetArchEnv).
var archVars = map[string]string{
	"arm": "GOARM", "arm64": "GOARM64", "386": "GO386", "amd64": "GOAMD64",
	"mips": "GOMIPS", "mipsle": "GOMIPS", "mips64": "GOMIPS64", "mips64le": "GOMIPS64",
	"ppc64": "GOPPC64", "ppc64le": "GOPPC64", "riscv64": "GORISCV64", "wasm": "GOWASM",
}

func (r *resolver) resolveArchVar(goarch string) {
	key := archVars[goarch]
	if key == "" {
		return
	}
	r.envOrAndChanged(key, r.tc.Defaults[key], r.tc.defaultOrigin(key))
}

// resolveC computes AR, CC, CXX, GCCGO, CGO_ENABLED, the CGO_*FLAGS and
// PKG_CONFIG.
func (r *resolver) resolveC(goos, goarch string) {
	r.envOrAndChanged("AR", "ar", defaultOrigin("ar"))
	for _, k := range []string{"CC", "CXX"} {
		if v, o, _ := r.getenv(k); v != "" {
			r.add(Var{Name: k, Value: v, Origin: o, Changed: true})
		} else {
			r.add(Var{Name: k, Value: defaultCC(goos, k == "CXX"), Origin: defaultOrigin("the go command's default C compiler for " + goos)})
		}
	}

	// work.GccgoName and GccgoBin: a gccgo found on PATH is printed as its
	// path, and then always counts as changed.
	name, o, _ := r.getenv("GCCGO")
	changed := name != "" && name != "gccgo"
	if name == "" {
		name, o = "gccgo", defaultOrigin("gccgo")
	}
	if p, err := r.env.lookPath(name, r.goos); err == nil {
		name, changed, o.Rule = p, true, "found on PATH"
	}
	r.add(Var{Name: "GCCGO", Value: name, Origin: o, Changed: changed})

	// cfg.defaultContext: cgo defaults on for a native build of a port
	// that supports it when CC is set or the default compiler is on PATH,
	// and off for cross builds; CGO_ENABLED=0 or 1 overrides.
	def, rule := false, "off: cross-compiling"
	switch d := r.tc.Defaults["CGO_ENABLED"]; {
	case d == "1" || d == "0":
		def, rule = d == "1", "toolchain's buildcfg.DefaultCGO_ENABLED"
	case goos == r.tc.GOOS && goarch == r.tc.GOARCH:
		def, rule = cgoPorts[goos+"/"+goarch], "on for a native build of a cgo port"
		if !def {
			rule = "off: no cgo on " + goos + "/" + goarch
		} else if r.env["CC"] == "" {
			cc := defaultCC(goos, false)
			if _, err := r.env.lookPath(cc, r.goos); err != nil {
				def, rule = false, "off: CC unset and "+cc+" not on PATH"
			} else {
				rule = "on: " + cc + " found on PATH"
			}
		}
	}
	cgo, o := def, defaultOrigin(rule)
	if v, vo, _ := r.getenv("CGO_ENABLED"); v == "0" || v == "1" {
		cgo, o = v == "1", vo
	}
	val := "0"
	if cgo {
		val = "1"
	}
	r.add(Var{Name: "CGO_ENABLED", Value: val, Origin: o, Changed: cgo != def})

	for _, k := range []string{"CGO_CFLAGS", "CGO_CPPFLAGS", "CGO_CXXFLAGS", "CGO_FFLAGS", "CGO_LDFLAGS"} {
		def := defaultCFlags
		if k == "CGO_CPPFLAGS" {
			def = ""
		}
		v, o, _ := r.getenv(k)
		if v == "" {
			v, o = def, defaultOrigin(strings.TrimSpace("go command default "+def))
		}
		// go env prints the words after quoted.Split and quoted.Join.
		if words, err := SplitQuoted(v); err == nil {
			if j, err := JoinQuoted(words); err == nil {
				v = j
			}
		}
		r.add(Var{Name: k, Value: v, Origin: o, Changed: v != def})
	}
	pc, po, _ := r.getenv("PKG_CONFIG")
	if pc == "" {
		pc, po = "pkg-config", defaultOrigin("pkg-config")
	}
	if words, err := SplitQuoted(pc); err == nil && len(words) > 0 {
		pc = words[0] // the go command keeps the program name only
	}
	r.add(Var{Name: "PKG_CONFIG", Value: pc, Origin: po, Changed: pc != "pkg-config"})
}

// resolveModule computes GOMOD and GOWORK for the working directory dir
// (modload.Init, FindGoWork, findModuleRoot, findWorkspaceFile). A
// -modfile in GOFLAGS is not followed.
func (r *resolver) resolveModule(goroot, dir string) {
	if dir == "" {
		dir, _ = os.Getwd()
	}
	dir = filepath.Clean(dir)
	mode, _, _ := r.getenv("GO111MODULE")

	gowork, wo := "", defaultOrigin("no go.work above the working directory")
	if mode != "off" {
		switch v, o, _ := r.getenv("GOWORK"); v {
		case "off":
			gowork, wo = "off", o
		case "", "auto":
			if f := findUp(dir, "go.work", goroot); f != "" {
				gowork, wo = f, defaultOrigin("go.work found above the working directory")
			}
		default:
			gowork, wo = v, o
		}
	}
	r.add(Var{Name: "GOWORK", Value: gowork, Origin: wo})

	gomod, mo := "", defaultOrigin("modules disabled by GO111MODULE="+mode)
	if mode != "off" {
		if f := findUp(dir, "go.mod", ""); f != "" && filepath.Dir(f) != filepath.Clean(os.TempDir()) {
			gomod, mo = f, defaultOrigin("go.mod found above the working directory")
		} else if mode != "auto" {
			gomod, mo = os.DevNull, defaultOrigin("module mode outside a module")
		} else {
			mo = defaultOrigin("GOPATH mode: GO111MODULE=auto outside a module")
		}
	}
	r.add(Var{Name: "GOMOD", Value: gomod, Origin: mo})
}

// findUp returns the first dir/name or parent/.../name that is a regular
// file, not crossing into stop.
func findUp(dir, name, stop string) string {
	for {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
		d := filepath.Dir(dir)
		if d == dir || (stop != "" && d == stop) {
			return ""
		}
		dir = d
	}
}
