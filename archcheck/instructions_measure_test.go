package archcheck

import (
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/nativego/nativego/internal/testenv"
)

var (
	measureInstructions = flag.Bool("measure-instructions", false, "log decoder score distributions over real binaries' text (slow)")
	measureWindow       = flag.Int("measure-window", DefaultSampleBytes, "window size for -measure-instructions")
)

// textRange returns the file range of a binary's main code section.
func textRange(t *testing.T, path string) (off, size int64) {
	t.Helper()
	if f, err := macho.Open(path); err == nil {
		defer f.Close()
		s := f.Section("__text")
		return int64(s.Offset), int64(s.Size)
	}
	if f, err := elf.Open(path); err == nil {
		defer f.Close()
		s := f.Section(".text")
		return int64(s.Offset), int64(s.Size)
	}
	f, err := pe.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := f.Section(".text")
	return int64(s.Offset), int64(min(s.Size, s.VirtualSize))
}

type measureInput struct{ name, arch, path string }

func measureInputs(t *testing.T) []measureInput {
	var in []measureInput
	for _, p := range testenv.Matrix {
		in = append(in, measureInput{p.GOOS + "/" + p.GOARCH, p.GOARCH, testenv.Build(t, testenv.BuildSpec{GOOS: p.GOOS, GOARCH: p.GOARCH})})
	}
	for _, arch := range []string{"arm64", "amd64"} {
		dir := testenv.Toolchain(t, testenv.OfficialVersion, "darwin", arch)
		for _, name := range []string{"bin/go", "bin/gofmt", "pkg/tool/darwin_" + arch + "/compile", "pkg/tool/darwin_" + arch + "/link"} {
			in = append(in, measureInput{"official-darwin-" + arch + "/" + name, arch, filepath.Join(dir, name)})
		}
	}
	in = append(in, measureInput{"host /bin/ls", "amd64", "/bin/ls"}, measureInput{"host libc", "amd64", "/usr/lib/x86_64-linux-gnu/libc.so.6"})
	return in
}

func quantiles(v []float64) string {
	slices.Sort(v)
	q := func(p float64) float64 { return v[int(p*float64(len(v)-1))] }
	return fmt.Sprintf("n=%4d min=%5.1f p1=%5.1f p5=%5.1f p50=%5.1f max=%5.1f", len(v), 100*v[0], 100*q(0.01), 100*q(0.05), 100*q(0.5), 100*v[len(v)-1])
}

// TestMeasureInstructionScores decodes 4 KiB windows across the text of
// real binaries with every decoder and logs the distribution of each
// decoder's plausible-byte rate per true architecture, and of the margin
// between the true architecture and its best rival. The thresholds in
// instructions.go come from its output.
func TestMeasureInstructionScores(t *testing.T) {
	if !*measureInstructions {
		t.Skip("run with -measure-instructions")
	}
	rates := map[string][]float64{}   // "true arch <- decoder"
	margins := map[string][]float64{} // true arch
	for _, in := range measureInputs(t) {
		data, err := os.ReadFile(in.path)
		if err != nil {
			t.Fatal(err)
		}
		off, size := textRange(t, in.path)
		const maxWindows = 150
		win := int64(*measureWindow)
		step := max(win, size/maxWindows/win*win)
		for w := off; w+win <= off+size; w += step {
			b := data[w : w+win]
			scores := scoreAll(in.arch, b)
			own := scores[0].Rate
			rival := 0.0
			for _, sc := range scores {
				rates[in.arch+" <- "+sc.Arch] = append(rates[in.arch+" <- "+sc.Arch], sc.Rate)
				if sc.Arch != in.arch && !sameFamily(in.arch, sc.Arch) {
					rival = max(rival, sc.Rate)
				}
			}
			margins[in.arch] = append(margins[in.arch], own-rival)
		}
		f, err := Open(in.path)
		if err != nil {
			t.Fatal(err)
		}
		ev, err := f.Slices[0].CheckInstructions(0)
		f.Close()
		if err != nil {
			t.Errorf("%s: %v", in.name, err)
			continue
		}
		var sb strings.Builder
		for _, sc := range ev.Scores {
			fmt.Fprintf(&sb, " %s=%.1f", sc.Arch, 100*sc.Rate)
		}
		t.Logf("entry %-45s off=%#x bytes=%d text=[%#x,+%#x) %s", in.name, ev.Offset, ev.Bytes, off, size, sb.String())
	}
	keys := make([]string, 0, len(rates))
	for k := range rates {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("rate   %-22s %s", k, quantiles(rates[k]))
	}
	for k, v := range margins {
		t.Logf("margin %-22s %s", k, quantiles(v))
	}
}
