package goenv

import (
	"fmt"
	"strconv"
)

// A Source is the layer of configuration a value came from, in the order
// the go command consults them (cmd/go/internal/cfg.Getenv, initEnvCache).
type Source int

const (
	// FromEnvironment is the process environment: a non-empty value wins
	// over everything else.
	FromEnvironment Source = iota + 1
	// FromUserFile is the user's go env file, $GOENV or
	// os.UserConfigDir()/go/env, written by "go env -w".
	FromUserFile
	// FromGOROOTFile is $GOROOT/go.env, read for keys the user file lacks.
	FromGOROOTFile
	// FromDefault is a rule built into the go command, or a value computed
	// from other settings, the machine or the toolchain's own files.
	FromDefault
)

var sourceNames = [...]string{
	FromEnvironment: "environment",
	FromUserFile:    "user file",
	FromGOROOTFile:  "GOROOT file",
	FromDefault:     "default",
}

// String returns the source's name, such as "user file".
func (s Source) String() string {
	if s > 0 && int(s) < len(sourceNames) {
		return sourceNames[s]
	}
	return "Source(" + strconv.Itoa(int(s)) + ")"
}

// Origin says where one value came from: the process environment, a line
// of a file, or a default rule.
type Origin struct {
	Source Source `json:"source"`
	// File and Line locate a value read from the user file or go.env;
	// for a default read from a toolchain file (such as the buildcfg
	// defaults in $GOROOT/src/internal/buildcfg/zbootstrap.go) they name
	// that file.
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	// Rule is the default rule that produced the value, such as
	// "$HOME/go"; empty for values set by the user.
	Rule string `json:"rule,omitempty"`
}

// String formats o the way "git config --show-origin" would: "env",
// "file:/home/u/.config/go/env:3", "default: $HOME/go".
func (o Origin) String() string {
	switch o.Source {
	case FromEnvironment:
		return "env"
	case FromUserFile, FromGOROOTFile:
		if o.Line > 0 {
			return fmt.Sprintf("file:%s:%d", o.File, o.Line)
		}
		return "file:" + o.File
	case FromDefault:
		s := "default"
		if o.Rule != "" {
			s += ": " + o.Rule
		}
		if o.File != "" {
			s += " (" + o.File
			if o.Line > 0 {
				s += ":" + strconv.Itoa(o.Line)
			}
			s += ")"
		}
		return s
	}
	return o.Source.String()
}

func envOrigin() Origin { return Origin{Source: FromEnvironment} }

func defaultOrigin(rule string) Origin { return Origin{Source: FromDefault, Rule: rule} }
