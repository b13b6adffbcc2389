package main

import (
	"cmp"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// Verdicts of a check and of a section, from best to worst. A section's
// verdict is its worst check's, skipped counting as better than ok only
// when every check was skipped.
const (
	verdictOK      = "ok"
	verdictSkipped = "skipped"
	verdictWarning = "warning"
	verdictFail    = "fail"
)

var verdictRank = map[string]int{verdictSkipped: 0, verdictOK: 1, verdictWarning: 2, verdictFail: 3}

// A check is one thing verify establishes. Only a required check that
// fails makes the exit status 1; warnings are reported and let it pass.
type check struct {
	Name     string `json:"name"`
	Verdict  string `json:"verdict"`
	Message  string `json:"message"`
	Fix      string `json:"fix,omitempty"`
	Required bool   `json:"required"`
}

// A section groups the checks of one concern, with the facts behind them
// in Details (a section-specific object, see the command doc).
type section struct {
	Name    string   `json:"name"`
	Verdict string   `json:"verdict"`
	Reasons []string `json:"reasons"`
	Seconds float64  `json:"seconds"`
	Checks  []check  `json:"checks"`
	Details any      `json:"details"`

	// text and markdown are extra lines for the readable reports, such
	// as benchkit's comparison tables; not in JSON.
	text, markdown string
}

func (s *section) add(c check) { s.Checks = append(s.Checks, c) }

func (s *section) ok(name, msg string) {
	s.add(check{Name: name, Verdict: verdictOK, Message: msg})
}

func (s *section) skip(name, msg string) {
	s.add(check{Name: name, Verdict: verdictSkipped, Message: msg})
}

func (s *section) warn(name, msg, fix string) {
	s.add(check{Name: name, Verdict: verdictWarning, Message: msg, Fix: fix})
}

func (s *section) fail(name, msg, fix string) {
	s.add(check{Name: name, Verdict: verdictFail, Message: msg, Fix: fix, Required: true})
}

// finish sets the verdict and reasons from the checks, and the duration.
func (s *section) finish(start time.Time) {
	s.Seconds = time.Since(start).Round(time.Millisecond).Seconds()
	s.Verdict = verdictSkipped
	s.Reasons = []string{}
	for _, c := range s.Checks {
		if verdictRank[c.Verdict] > verdictRank[s.Verdict] {
			s.Verdict = c.Verdict
		}
	}
	// Reasons are the checks that make the verdict what it is; a
	// skipped section says why.
	for _, c := range s.Checks {
		if c.Verdict == s.Verdict || (s.Verdict == verdictFail && c.Verdict == verdictWarning) {
			s.Reasons = append(s.Reasons, c.Message)
		}
	}
	if s.Verdict == verdictOK {
		s.Reasons = s.Reasons[:0]
	}
	if s.Checks == nil {
		s.Checks = []check{}
	}
}

// failed reports whether a required check failed.
func (s *section) failed() bool {
	return slices.ContainsFunc(s.Checks, func(c check) bool { return c.Required && c.Verdict == verdictFail })
}

// A verifyReport is verify's whole answer; its JSON form has one key per
// section, in the order they run.
type verifyReport struct {
	Host        *section `json:"host"`
	Toolchains  *section `json:"toolchains"`
	Integrity   *section `json:"integrity"`
	Environment *section `json:"environment"`
	Build       *section `json:"build"`
	Performance *section `json:"performance"`
	Runtime     *section `json:"runtime"`
	Verdict     string   `json:"verdict"`
	Seconds     float64  `json:"seconds"`
	// HostFacts is the file the host facts were read from, when
	// NATIVEGO_HOST_FACTS injected them (tests only).
	HostFacts string `json:"host_facts,omitempty"`
}

func (r *verifyReport) sections() []*section {
	return []*section{r.Host, r.Toolchains, r.Integrity, r.Environment, r.Build, r.Performance, r.Runtime}
}

func (r *verifyReport) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func (r *verifyReport) writeText(w io.Writer) error {
	var b strings.Builder
	if r.HostFacts != "" {
		fmt.Fprintf(&b, "note: host facts injected from %s (NATIVEGO_HOST_FACTS, for testing)\n\n", r.HostFacts)
	}
	for _, s := range r.sections() {
		fmt.Fprintf(&b, "%-12s %-8s (%.1fs)\n", s.Name, s.Verdict, s.Seconds)
		for _, c := range s.Checks {
			fmt.Fprintf(&b, "  %-7s %s: %s\n", c.Verdict, c.Name, c.Message)
			if c.Fix != "" && c.Verdict != verdictOK {
				fmt.Fprintf(&b, "          fix: %s\n", c.Fix)
			}
		}
		if s.text != "" {
			b.WriteString("\n")
			for _, line := range strings.Split(strings.TrimRight(s.text, "\n"), "\n") {
				b.WriteString(strings.TrimRight("  "+line, " ") + "\n")
			}
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "verify: %s (%.1fs)\n", r.Verdict, r.Seconds)
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *verifyReport) writeMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# nativego verify: %s\n\n", r.Verdict)
	if r.HostFacts != "" {
		fmt.Fprintf(&b, "> Host facts injected from `%s` (testing only).\n\n", r.HostFacts)
	}
	b.WriteString("| Section | Verdict | Time | Reasons |\n|---|---|---:|---|\n")
	for _, s := range r.sections() {
		fmt.Fprintf(&b, "| %s | %s | %.1f s | %s |\n", s.Name, s.Verdict, s.Seconds, mdCell(strings.Join(s.Reasons, "; ")))
	}
	for _, s := range r.sections() {
		fmt.Fprintf(&b, "\n## %s: %s\n\n", s.Name, s.Verdict)
		for _, c := range s.Checks {
			fmt.Fprintf(&b, "- **%s** `%s`: %s", c.Verdict, c.Name, mdCell(c.Message))
			if c.Fix != "" && c.Verdict != verdictOK {
				fmt.Fprintf(&b, " — fix: %s", mdCell(c.Fix))
			}
			b.WriteString("\n")
		}
		if s.markdown != "" {
			b.WriteString("\n" + strings.TrimRight(s.markdown, "\n") + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

// JUnit XML, as Jenkins, GitLab and GitHub test reporters read it: a
// testsuite per section, a testcase per check.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     float64      `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     float64     `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

func (r *verifyReport) writeJUnit(name string) error {
	all := junitSuites{Name: "nativego verify", Time: r.Seconds}
	for _, s := range r.sections() {
		suite := junitSuite{Name: s.Name, Time: s.Seconds}
		seen := map[string]int{}
		for _, c := range s.Checks {
			// A finding can apply to several installs; test reporters
			// want distinct names within a suite.
			name := c.Name
			if seen[c.Name]++; seen[c.Name] > 1 {
				name = fmt.Sprintf("%s (%d)", c.Name, seen[c.Name])
			}
			tc := junitCase{Name: name, Classname: "verify." + s.Name}
			text := c.Message
			if c.Fix != "" && c.Verdict != verdictOK {
				text += "\nfix: " + c.Fix
			}
			switch {
			case c.Verdict == verdictFail && c.Required:
				tc.Failure = &junitMessage{Message: c.Message, Text: text}
				suite.Failures++
			case c.Verdict == verdictSkipped:
				tc.Skipped = &junitMessage{Message: c.Message}
				suite.Skipped++
			default:
				tc.SystemOut = c.Verdict + ": " + text
			}
			suite.Cases = append(suite.Cases, tc)
		}
		suite.Tests = len(suite.Cases)
		all.Tests += suite.Tests
		all.Failures += suite.Failures
		all.Skipped += suite.Skipped
		all.Suites = append(all.Suites, suite)
	}
	data, err := xml.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	data = append([]byte(xml.Header), append(data, '\n')...)
	return os.WriteFile(name, data, 0o666)
}

// worst returns the worse of two verdicts.
func worst(a, b string) string {
	if verdictRank[b] > verdictRank[a] {
		return b
	}
	return cmp.Or(a, b)
}
