package benchkit_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/nativego/nativego/benchkit"
)

// FuzzCompare feeds arbitrary benchmark-format input through the table
// builder and every writer. The input is split at its first NUL byte into
// two files, so that comparisons run too. Nothing may panic or hang, the
// JSON must be valid and the CSV rectangular.
func FuzzCompare(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.txt")
	edge, _ := filepath.Glob("testdata/edge/*.txt")
	for i := 0; i+1 < len(edge); i += 2 {
		a, _ := os.ReadFile(edge[i])
		b, _ := os.ReadFile(edge[i+1])
		f.Add(append(append(a, 0), b...))
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		// An excerpt keeps each run quick: the fuzzer minimizes every
		// new interesting input, and whole files make that slow.
		data = data[:min(len(data), 1200)]
		f.Add(append(append(data[:len(data)/2:len(data)/2], 0), data[len(data)/2:]...))
	}
	f.Add([]byte("config: a\nBenchmarkX 1 NaN ns/op\n\x00config: b\ntranslated: true\nBenchmarkX 1 -1 ns/op\nUnit ns/op assume=exact\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, b, _ := bytes.Cut(data, []byte{0})
		for _, opts := range []benchkit.CompareOptions{{}, {Col: ".file"}} {
			bld, err := benchkit.NewBuilder(opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := bld.Read(bytes.NewReader(a), "a"); err != nil {
				t.Fatal(err)
			}
			if err := bld.Read(bytes.NewReader(b), "b"); err != nil {
				t.Fatal(err)
			}
			r := bld.Build()
			var buf bytes.Buffer
			for _, w := range []func(io.Writer) error{
				func(w io.Writer) error { return r.WriteText(w, benchkit.ViewTable) },
				func(w io.Writer) error { return r.WriteText(w, benchkit.ViewCost) },
				func(w io.Writer) error { return r.WriteMarkdown(w, benchkit.ViewCost) },
				r.WriteSVG,
			} {
				if err := w(io.Discard); err != nil {
					t.Fatal(err)
				}
			}
			buf.Reset()
			if err := r.WriteJSON(&buf); err != nil || !json.Valid(buf.Bytes()) {
				t.Fatalf("JSON: %v\n%s", err, buf.Bytes())
			}
			buf.Reset()
			if err := r.WriteCSV(&buf); err != nil {
				t.Fatal(err)
			}
			if _, err := csv.NewReader(&buf).ReadAll(); err != nil {
				t.Fatalf("CSV: %v", err)
			}
		}
	})
}
