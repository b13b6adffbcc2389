package goenv

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// Config says whose environment Resolve describes. Its zero value
// describes this process: its environment, working directory, and the go
// command on its PATH.
type Config struct {
	// Environ is the process environment, as "KEY=value" strings; nil
	// means os.Environ(). Of duplicate keys the last wins, as in os/exec.
	Environ []string

	// Dir is the working directory, which decides GOMOD and GOWORK; ""
	// means the current directory.
	Dir string

	// GoCommand is the go binary whose defaults apply; "" means the "go"
	// found on Environ's PATH.
	GoCommand string
}

// A Var is one effective setting with where it came from.
type Var struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Origin Origin `json:"origin"`

	// Changed is what "go env -changed" reports for the variable: whether
	// the value differs from the default in an empty environment without
	// "go env -w" settings. It follows the go command's own rules,
	// inconsistencies included (see Env.Notes).
	Changed bool `json:"changed"`

	// Hidden lists settings of the variable in lower layers that the
	// effective value overrides: a "go env -w" value shadowed by the
	// process environment, a go.env value replaced by the user file.
	Hidden []Hidden `json:"hidden,omitempty"`

	// EmptyInEnvironment reports that the process environment sets the
	// variable to the empty string, which the go command treats as unset:
	// it does not override the env files.
	EmptyInEnvironment bool `json:"empty_in_environment,omitempty"`
}

// Hidden is a value set in a layer the effective value overrides.
type Hidden struct {
	Value  string `json:"value"`
	Origin Origin `json:"origin"`
}

// A Note describes a place where the go command's own rules are
// inconsistent, met by this environment.
type Note struct {
	Var     string `json:"var"`
	Message string `json:"message"`
}

func (r *resolver) note(name, msg string) {
	r.notes = append(r.notes, Note{Var: name, Message: msg})
}

// Env is a resolved Go environment.
type Env struct {
	// Vars are the variables "go env -json" prints, sorted by name,
	// except GOGCCFLAGS (which needs the C compiler's answers and a fresh
	// temporary directory; it cannot be set).
	Vars []Var `json:"vars"`

	Toolchain Toolchain `json:"toolchain"`

	// UserFile is the user's go env file; nil when GOENV=off, when it does
	// not exist, or when it could not be read (UserFileErr).
	UserFile    *EnvFile `json:"user_file,omitempty"`
	UserFileErr error    `json:"-"`
	// GOROOTFile is $GOROOT/go.env; nil when absent.
	GOROOTFile *EnvFile `json:"goroot_file,omitempty"`

	// Environment holds the GO*, CGO_* and C toolchain variables of the
	// process environment that was resolved, including empty ones.
	Environment map[string]string `json:"-"`
	// PATH is the process environment's PATH, which decides the go
	// command and C compiler found.
	PATH string `json:"-"`

	// Notes describe places where the go command's own rules are
	// inconsistent and this environment meets one (golang/go#67542 and
	// relatives), so that a reader of "go env -changed" is not misled.
	Notes []Note `json:"notes,omitempty"`
}

// Lookup returns the variable name.
func (e *Env) Lookup(name string) (Var, bool) {
	i, ok := slices.BinarySearchFunc(e.Vars, name, func(v Var, name string) int { return strings.Compare(v.Name, name) })
	if !ok {
		return Var{}, false
	}
	return e.Vars[i], true
}

// Get returns the value of the variable name, or "".
func (e *Env) Get(name string) string {
	v, _ := e.Lookup(name)
	return v.Value
}

// Changed returns the variables "go env -changed" would print.
func (e *Env) Changed() []Var {
	var out []Var
	for _, v := range e.Vars {
		if v.Changed {
			out = append(out, v)
		}
	}
	return out
}

// defaultCFlags is cmd/go/internal/work.DefaultCFlags.
const defaultCFlags = "-O2 -g"

// A resolver holds the layers while Resolve works.
type resolver struct {
	env    environ
	goos   string // the go binary's GOOS, which decides the per-OS rules
	user   *EnvFile
	goroot *EnvFile
	tc     *Toolchain
	vars   []Var
	notes  []Note
}

// Resolve computes the Go environment described by cfg as the go command
// would see it, without running the go command: every variable "go env
// -json" prints (but GOGCCFLAGS), its value, its origin, and whether "go
// env -changed" would list it.
//
// The layers are, as in cmd/go/internal/cfg: the process environment
// when non-empty; the user's env file ($GOENV, by default
// os.UserConfigDir()/go/env; GOENV=off disables it); $GOROOT/go.env for
// keys the user file lacks; and built-in or computed defaults, some read
// from the toolchain itself (its platform from the go binary's headers,
// its buildcfg defaults from $GOROOT/src/internal/buildcfg/zbootstrap.go).
//
// Resolve reads files and executes nothing. It fails only when no go
// command can be found.
func Resolve(cfg *Config) (*Env, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	kvs := cfg.Environ
	if kvs == nil {
		kvs = os.Environ()
	}
	r := &resolver{env: parseEnviron(kvs), goos: runtime.GOOS}
	out := &Env{Environment: make(map[string]string)}
	for k, v := range r.env {
		if strings.HasPrefix(k, "GO") || strings.HasPrefix(k, "CGO_") || isKnown(k) {
			out.Environment[k] = v
		}
	}

	// The go command: its platform decides the per-OS rules below.
	goCmd := cfg.GoCommand
	if goCmd == "" {
		p, err := r.env.lookPath("go", runtime.GOOS)
		if err != nil {
			return nil, ErrNoGoCommand
		}
		goCmd = p
	}
	tc := &Toolchain{GoCommand: goCmd}
	r.tc = tc
	var binErr error
	tc.GOOS, tc.GOARCH, tc.Version, binErr = readGoBinary(goCmd)
	if tc.GOOS == "" {
		tc.GOOS = runtime.GOOS
	}
	if tc.GOARCH == "" {
		tc.GOARCH = runtime.GOARCH
	}
	if binErr != nil && !errors.Is(binErr, fs.ErrNotExist) {
		r.note("GOVERSION", "could not read the go binary's build information ("+binErr.Error()+"): GOVERSION is unknown")
	} else if binErr != nil {
		return nil, ErrNoGoCommand
	}
	r.goos = tc.GOOS
	binROOT, binRule, _ := findGOROOT(goCmd)
	tc.readBuildcfgDefaults(binROOT)

	// GOENV and the user file (cfg.EnvFile, initEnvCache).
	goenv := Var{Name: "GOENV"}
	if v := r.env["GOENV"]; v != "" {
		if v != "off" {
			goenv.Value, goenv.Origin, goenv.Changed = v, envOrigin(), true
		} else {
			goenv.Origin = envOrigin()
		}
	} else if dir, err := r.env.userConfigDir(r.goos); err == nil {
		goenv.Value, goenv.Origin = filepath.Join(dir, "go", "env"), defaultOrigin("os.UserConfigDir()/go/env")
	} else {
		goenv.Origin = defaultOrigin("none: " + err.Error())
	}
	if goenv.Value != "" {
		f, err := ReadEnvFile(goenv.Value)
		switch {
		case err == nil:
			r.user = f
		case !errors.Is(err, fs.ErrNotExist):
			out.UserFileErr = err
		}
	}
	r.vars = append(r.vars, goenv)

	// GOROOT: initEnvCache locates go.env with the user file's GOROOT
	// first and the process environment's second, the reverse of every
	// other variable; the GOROOT go env reports then puts the
	// environment first again (cfg.SetGOROOT(Getenv("GOROOT"))).
	fileROOT := ""
	rootOrigin := defaultOrigin(binRule)
	if s, ok := r.user.Lookup("GOROOT"); ok && s.Value != "" {
		fileROOT, rootOrigin = filepath.Clean(s.Value), r.fileOrigin(r.user, s)
	} else if v := r.env["GOROOT"]; v != "" {
		fileROOT, rootOrigin = filepath.Clean(v), envOrigin()
	} else {
		fileROOT = binROOT
	}
	goroot := fileROOT
	if v := r.env["GOROOT"]; v != "" {
		if rootOrigin.Source != FromEnvironment {
			r.note("GOROOT", "GOROOT is set both in the environment and in the user file: the go command reads go.env from the user file's GOROOT ("+fileROOT+") but reports and builds with the environment's ("+v+")")
		}
		goroot, rootOrigin = v, envOrigin()
	}
	if fileROOT != "" {
		f, err := ReadEnvFile(filepath.Join(fileROOT, "go.env"))
		if err == nil {
			r.goroot = f
		}
	}
	r.vars = append(r.vars, Var{Name: "GOROOT", Value: goroot, Origin: rootOrigin, Hidden: r.hidden("GOROOT", rootOrigin.Source)})
	out.UserFile, out.GOROOTFile = r.user, r.goroot

	r.resolveVars(goroot, cfg.Dir)
	r.noteEditedGOROOTFile()

	slices.SortFunc(r.vars, func(a, b Var) int { return strings.Compare(a.Name, b.Name) })
	for i := range r.vars {
		v := &r.vars[i]
		if ev, ok := r.env[v.Name]; ok && ev == "" {
			v.EmptyInEnvironment = true
		}
	}
	out.Vars = r.vars
	out.PATH = r.env["PATH"]
	out.Toolchain = *tc
	out.Notes = r.notes
	return out, nil
}

// fileOrigin is the origin of setting s of file f.
func (r *resolver) fileOrigin(f *EnvFile, s Setting) Origin {
	src := FromUserFile
	if f == r.goroot {
		src = FromGOROOTFile
	}
	return Origin{Source: src, File: f.Name, Line: s.Line}
}

// getenv is cfg.Getenv: a non-empty environment value, else the user
// file's (even empty: an empty line there hides go.env), else go.env's.
// ok is false when no layer sets key.
func (r *resolver) getenv(key string) (val string, o Origin, ok bool) {
	if v := r.env[key]; v != "" {
		return v, envOrigin(), true
	}
	if s, found := r.user.Lookup(key); found {
		return s.Value, r.fileOrigin(r.user, s), true
	}
	if s, found := r.goroot.Lookup(key); found {
		return s.Value, r.fileOrigin(r.goroot, s), true
	}
	return "", Origin{}, false
}

// hidden lists the values of key in the layers below src.
func (r *resolver) hidden(key string, src Source) []Hidden {
	var h []Hidden
	if src < FromUserFile {
		if s, ok := r.user.Lookup(key); ok {
			h = append(h, Hidden{Value: s.Value, Origin: r.fileOrigin(r.user, s)})
		}
	}
	if src < FromGOROOTFile {
		if s, ok := r.goroot.Lookup(key); ok {
			h = append(h, Hidden{Value: s.Value, Origin: r.fileOrigin(r.goroot, s)})
		}
	}
	return h
}

// plain adds a variable whose default is empty and which go env -changed
// lists whenever it is non-empty.
func (r *resolver) plain(key string) Var {
	v, o, _ := r.getenv(key)
	if v == "" {
		o = defaultOrigin("empty")
	}
	return r.add(Var{Name: key, Value: v, Origin: o, Changed: v != ""})
}

// envOrAndChanged is cfg.EnvOrAndChanged: a non-empty setting is changed
// when it differs from go.env's value for the key if go.env has one, and
// from def otherwise. So "go env -changed" measures against the go.env of
// the tree at hand, edits included: a packager's or administrator's edit of
// go.env is never "changed" (golang/go#67542, whose fix made go.env the
// reference); noteEditedGOROOTFile says so in Env.Notes.
func (r *resolver) envOrAndChanged(key, def string, defOrigin Origin) Var {
	v, o, _ := r.getenv(key)
	if v == "" {
		return r.add(Var{Name: key, Value: def, Origin: defOrigin})
	}
	changed := v != def
	if s, ok := r.goroot.Lookup(key); ok {
		changed = v != s.Value
	}
	return r.add(Var{Name: key, Value: v, Origin: o, Changed: changed})
}

func (r *resolver) add(v Var) Var {
	v.Hidden = r.hidden(v.Name, v.Origin.Source)
	r.vars = append(r.vars, v)
	return v
}

// envOr is cfg.envOr: the setting, or def when it is empty.
func (r *resolver) envOr(key, def string, defOrigin Origin) (string, Origin) {
	if v, o, _ := r.getenv(key); v != "" {
		return v, o
	}
	return def, defOrigin
}

// releaseGoEnv holds, for each key every release's go.env sets, the hex
// SHA-256 of its value as shipped (the same table as package toolchain's;
// hashes because this project keeps registry host names out of its code).
var releaseGoEnv = map[string]string{
	"GOPROXY":     "6b92323c3a3f154c0a30cc602002b87ff41486d6cba571162e1bae16d7761997",
	"GOSUMDB":     "9da5f32d964125123cc368f231b473bea59307f811c7b9b2e731601e586b82b5",
	"GOTOOLCHAIN": "929260ad9b9ea9fe0f3553dd964f4ff3deb5792efd031a2b90f573fe91f012bb", // "auto"
}

// noteEditedGOROOTFile adds a note for each release default that
// $GOROOT/go.env changes or lacks: "go env -changed" cannot show them.
func (r *resolver) noteEditedGOROOTFile() {
	if r.goroot == nil {
		return
	}
	for _, k := range []string{"GOPROXY", "GOSUMDB", "GOTOOLCHAIN"} {
		s, ok := r.goroot.Lookup(k)
		switch {
		case !ok:
			r.note(k, r.goroot.Name+" lacks the release's "+k+" line; \"go env -changed\" compares with go.env, so it does not show this (golang/go#67542)")
		case sha(s.Value) != releaseGoEnv[k]:
			r.note(k, r.goroot.Name+":"+strconv.Itoa(s.Line)+" sets "+k+"="+RedactVar(k, s.Value)+", not the release's value; \"go env -changed\" compares with go.env, so it does not show this edit (golang/go#67542)")
		}
	}
}
