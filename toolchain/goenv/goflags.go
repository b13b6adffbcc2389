package goenv

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// goFlags are the flags of go subcommands that GOFLAGS can carry (the
// build flags of cmd/go/internal/work, the module flags and go test's
// flags), mapped to whether each is a boolean flag.
var goFlags = map[string]bool{
	"a": true, "n": true, "x": true, "v": true, "work": true, "race": true, "msan": true, "asan": true,
	"linkshared": true, "trimpath": true, "modcacherw": true, "cover": true, "buildvcs": true,
	"json": true, "short": true, "failfast": true, "benchmem": true, "fullpath": true, "e": true,
	"m": true, "u": true, "t": true, "d": true, "f": false, "i": true, "insecure": true,
	"asmflags": false, "buildmode": false, "compiler": false, "coverpkg": false, "covermode": false,
	"gccgoflags": false, "gcflags": false, "installsuffix": false, "ldflags": false, "mod": false,
	"modfile": false, "overlay": false, "p": false, "pgo": false, "pkgdir": false, "tags": false,
	"toolexec": false, "o": false, "count": false, "timeout": false, "run": false, "bench": false,
	"benchtime": false, "cpu": false, "parallel": false, "skip": false, "shuffle": false,
	"coverprofile": false, "cpuprofile": false, "memprofile": false, "blockprofile": false,
	"mutexprofile": false, "trace": false, "outputdir": false, "exec": false, "vet": false,
	"fuzz": false, "fuzztime": false, "fuzzminimizetime": false, "list": false, "C": false,
	"debug-actiongraph": false, "debug-trace": false,
}

// A GoFlag is one word of GOFLAGS.
type GoFlag struct {
	Name     string `json:"name"` // without dashes
	Value    string `json:"value,omitempty"`
	HasValue bool   `json:"has_value,omitempty"`
}

// ParseGOFLAGS splits GOFLAGS with the go command's own rules
// (cmd/go/internal/base.InitGOFLAGS and cmd/internal/quoted.Split): words
// separated by white space, a word that starts with a quote running to the
// matching quote, no escapes, and every word a flag of the form -name,
// --name, -name=value or --name=value. A flag's value cannot follow as
// a separate word.
//
// The classic trap (golang/go#51194) is GOFLAGS=-ldflags='-s -w': the
// quote inside the word is literal, the space splits it, and the go
// command fails with "unknown flag -w'". The fix puts the quote in front
// of the whole word: GOFLAGS='-ldflags=-s -w' in the shell, i.e. the
// GOFLAGS value "'-ldflags=-s -w'".
func ParseGOFLAGS(v string) ([]GoFlag, []Finding) {
	var probs []Finding
	add := func(sev Severity, id, msg, fix string) {
		probs = append(probs, Finding{ID: id, Severity: sev, Var: "GOFLAGS", Message: msg, Fix: fix})
	}
	words, err := SplitQuoted(v)
	if err != nil {
		add(Error, "GOFLAGS-QUOTE", "GOFLAGS does not parse: "+err.Error()+"; a quote counts only at the start of a word and must be closed", "")
		return nil, probs
	}
	var flags []GoFlag
	for i := 0; i < len(words); i++ {
		w := words[i]
		// A quote inside a word, not at its start, is literal: the word
		// was probably meant to run to the matching quote.
		if name, val, ok := strings.Cut(w, "="); ok && strings.HasPrefix(name, "-") && val != "" && (val[0] == '\'' || val[0] == '"') {
			q := val[:1]
			j := -1 // the word that closes the quote
			if len(val) > 1 && strings.HasSuffix(val, q) {
				j = i
			} else {
				for k := i + 1; k < len(words); k++ {
					if strings.HasSuffix(words[k], q) {
						j = k
						break
					}
				}
			}
			if j >= 0 {
				joined := strings.Join(words[i:j+1], " ")
				value := strings.TrimSuffix(strings.TrimPrefix(joined[len(name)+1:], q), q)
				inner := name + "=" + value
				msg := "in GOFLAGS, " + quote(Redact(joined)) + " is split into " + strconv.Itoa(j-i+1) + " words at its spaces: a quote counts only at the start of a word, so the go command fails with \"unknown flag\" or \"non-flag\"; quote the whole flag instead"
				if j == i {
					msg = "in GOFLAGS, the quotes in " + quote(Redact(joined)) + " are part of the value: a quote counts only at the start of a word; drop them, or quote the whole flag"
				}
				add(Error, "GOFLAGS-QUOTE", msg, setFix("GOFLAGS", rebuildGOFLAGS(words[:i], inner, words[j+1:])))
				flags = append(flags, GoFlag{Name: strings.TrimLeft(name, "-"), Value: value, HasValue: true})
				i = j
				continue
			}
		}
		if !strings.HasPrefix(w, "-") || w == "-" || w == "--" || strings.HasPrefix(w, "---") || strings.HasPrefix(w, "-=") || strings.HasPrefix(w, "--=") {
			msg := "GOFLAGS word " + quote(Redact(w)) + " is not a flag; the go command fails with \"non-flag\""
			fix := ""
			if i > 0 && strings.HasPrefix(words[i-1], "-") && !strings.Contains(words[i-1], "=") {
				if isBool, known := goFlags[strings.TrimLeft(words[i-1], "-")]; known && !isBool {
					msg += "; a flag's value must be joined to it with '=': " + words[i-1] + "=" + w
					fix = setFix("GOFLAGS", rebuildGOFLAGS(words[:i-1], words[i-1]+"="+w, words[i+1:]))
				}
			}
			add(Error, "GOFLAGS-NON-FLAG", msg, fix)
			continue
		}
		name := strings.TrimPrefix(strings.TrimPrefix(w, "-"), "-")
		f := GoFlag{Name: name}
		if n, val, ok := strings.Cut(name, "="); ok {
			f = GoFlag{Name: n, Value: val, HasValue: true}
		}
		isBool, known := goFlags[f.Name]
		switch {
		case !known:
			add(Error, "GOFLAGS-UNKNOWN", "GOFLAGS flag -"+Redact(f.Name)+" is not a flag of any go subcommand; the go command fails with \"unknown flag\""+didYouMeanFlag(f.Name),
				setFix("GOFLAGS", rebuildGOFLAGS(words[:i], "", words[i+1:])))
		case isBool && f.HasValue:
			if _, err := strconv.ParseBool(f.Value); err != nil && !(f.Name == "buildvcs" && f.Value == "auto") {
				add(Error, "GOFLAGS-BAD-BOOL", "GOFLAGS flag -"+f.Name+" is boolean, but its value "+quote(Redact(f.Value))+" is not", "")
			}
		case !isBool && !f.HasValue:
			add(Error, "GOFLAGS-NO-VALUE", "GOFLAGS flag -"+f.Name+" needs a value joined with '=', such as -"+f.Name+"=<value>", "")
		}
		flags = append(flags, f)
	}
	return flags, probs
}

// rebuildGOFLAGS joins words back into a GOFLAGS value, replacing the
// middle word (dropped when ""), quoting words with spaces.
func rebuildGOFLAGS(before []string, mid string, after []string) string {
	var all []string
	all = append(all, before...)
	if mid != "" {
		all = append(all, mid)
	}
	all = append(all, after...)
	s, err := JoinQuoted(all)
	if err != nil {
		return strings.Join(all, " ")
	}
	return s
}

func didYouMeanFlag(name string) string {
	best, bestD := "", 3
	for _, k := range slices.Sorted(maps.Keys(goFlags)) {
		if d := editDistance(name, k, bestD); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" || len(name) < 3 {
		return ""
	}
	return " (did you mean -" + best + "?)"
}
