package goenv_test

import (
	"fmt"

	"github.com/nativego/nativego/toolchain/goenv"
)

// GOFLAGS has quoting rules of its own: a quote counts only at the start
// of a word (golang/go#51194).
func ExampleParseGOFLAGS() {
	_, findings := goenv.ParseGOFLAGS("-ldflags='-s -w' -trimpath")
	for _, f := range findings {
		fmt.Println(f.ID)
		fmt.Println(f.Fix)
	}
	// Output:
	// GOFLAGS-QUOTE
	// go env -w "GOFLAGS='-ldflags=-s -w' -trimpath"
}

func ExampleParsePatterns() {
	_, findings := goenv.ParsePatterns("GOPRIVATE", "corp.example, git.corp.example/team")
	for _, f := range findings {
		fmt.Println(f.Severity, f.ID)
		fmt.Println(f.Fix)
	}
	fmt.Println(goenv.Match("corp.example, git.corp.example/team", "git.corp.example/team/x"))
	// Output:
	// error PATTERN-SPACE
	// go env -w GOPRIVATE=corp.example,git.corp.example/team
	// false
}

func ExampleParseGOSUMDB() {
	_, findings := goenv.ParseGOSUMDB("company-sumdb https://sumdb.internal.company")
	fmt.Println(findings[0].ID)
	fmt.Println(findings[0].Fix)
	// Output:
	// GOSUMDB-NO-KEY
	// go env -w 'GOSUMDB=company-sumdb+<hash>+<key> https://sumdb.internal.company'
}

func ExampleRedact() {
	fmt.Println(goenv.Redact("https://bob:hunter2@athens.corp.example,direct"))
	fmt.Println(goenv.RedactVar("GOAUTH", "corp-auth --token s3cret; netrc"))
	// Output:
	// https://xxxxx@athens.corp.example,direct
	// corp-auth --token xxxxx; netrc
}
