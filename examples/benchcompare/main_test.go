package main

import (
	"bytes"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const data = "../../benchkit/testdata/"

func TestGolden(t *testing.T) {
	crossArch := []string{data + "base64-qemu.txt", data + "base64-native.txt"}
	files := []string{"v1=" + data + "base64-v1.txt", "v3=" + data + "base64-v3.txt"}
	tests := []struct {
		name string
		args []string
	}{
		{"files-text", files},
		{"files-csv", append([]string{"-format", "csv"}, files...)},
		{"cross-arch-text", crossArch},
		{"cross-arch-md", append([]string{"-format", "md"}, crossArch...)},
		{"cross-arch-cost-md", append([]string{"-format", "md", "-cost", "-filter", ".unit:sec/op"}, crossArch...)},
		{"cross-arch-cost-text", append([]string{"-cost"}, crossArch...)},
		{"cross-arch-json", append([]string{"-json", "-filter", ".unit:sec/op"}, crossArch...)},
		{"cross-arch-svg", append([]string{"-format", "svg", "-filter", ".unit:(sec/op OR B/op)"}, crossArch...)},
		{"missing-text", []string{"old=" + data + "edge/missing-old.txt", "new=" + data + "edge/missing-new.txt"}},
		{"small-text", []string{"old=" + data + "edge/small-old.txt", "new=" + data + "edge/small-new.txt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(&stdout, &stderr, tt.args); code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr.Bytes())
			}
			ext := map[bool]string{true: ".svg", false: ".golden"}[strings.HasSuffix(tt.name, "-svg")]
			golden := filepath.Join("testdata", tt.name+ext)
			if *update {
				if err := os.WriteFile(golden, stdout.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(roundFloats(string(want)), roundFloats(stdout.String())); diff != "" {
				t.Errorf("output differs from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// fullFloat matches numbers written in full precision.
var fullFloat = regexp.MustCompile(`-?[0-9]+\.[0-9]{6,}(e[-+][0-9]+)?`)

// roundFloats rounds the full-precision numbers of CSV and JSON output to
// 9 significant digits: math.Log and math.Exp differ in the last bits
// between architectures (arm64 fuses multiply-adds), and CI runs these
// tests under qemu-user for arm64 too.
func roundFloats(s string) string {
	return fullFloat.ReplaceAllStringFunc(s, func(f string) string {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return f
		}
		return strconv.FormatFloat(v, 'g', 9, 64)
	})
}

// TestSVGWellFormed parses the chart as XML.
func TestSVGWellFormed(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(&stdout, &stderr, []string{"-format", "svg", data + "base64-native.txt", data + "base64-qemu.txt"}); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.Bytes())
	}
	d := xml.NewDecoder(&stdout)
	for {
		_, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestExitCodes(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no files", nil, 2, "usage: benchcompare"},
		{"bad format", []string{"-format", "html", "x"}, 2, "-format must be"},
		{"bad projection", []string{"-col", "@", data + "base64-v1.txt"}, 2, "bad Col expression"},
		{"bad alpha", []string{"-alpha", "3", data + "base64-v1.txt"}, 2, "Alpha 3"},
		{"missing file", []string{filepath.Join(t.TempDir(), "nope.txt")}, 1, "no such file"},
		{"help", []string{"-h"}, 0, "usage: benchcompare"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(&stdout, &stderr, tt.args); code != tt.code || !strings.Contains(stderr.String(), tt.msg) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), tt.code, tt.msg)
			}
		})
	}
}

func TestModeDispatch(t *testing.T) {
	var got []string
	modes["fake"] = func(stdout, stderr io.Writer, args []string) int {
		got = args
		return 7
	}
	defer delete(modes, "fake")
	for _, tt := range []struct {
		args []string
		code int
	}{
		{[]string{"-format", "md", "-fake", "-x"}, 7},
		{[]string{"--fake=1"}, 7},
		{[]string{"-format", "md", "--", "-fake"}, 1}, // a file named -fake, which does not exist
		{[]string{"fake"}, 1},                         // a file named fake that does not exist
	} {
		got = nil
		var stdout, stderr bytes.Buffer
		if code := run(&stdout, &stderr, tt.args); code != tt.code {
			t.Errorf("%q: exit %d, want %d (stderr %s)", tt.args, code, tt.code, stderr.Bytes())
		}
		if tt.code == 7 && !slices.Equal(got, tt.args) {
			t.Errorf("%q: mode got %q", tt.args, got)
		}
	}
}
