package archcheck

import (
	"bytes"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nativego/nativego/internal/testenv"
)

func hasDecoder(arch string) bool {
	return slices.ContainsFunc(decoders, func(d decoder) bool { return d.arch == arch })
}

func checkFile(t *testing.T, path string) *InstructionEvidence {
	t.Helper()
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ev, err := f.Slices[0].CheckInstructions(0)
	if err != nil {
		t.Fatalf("CheckInstructions: %v", err)
	}
	return ev
}

// TestCheckInstructionsMatrix: every real binary whose architecture has a
// decoder is consistent; the others (MIPS) are inconclusive.
func TestCheckInstructionsMatrix(t *testing.T) {
	for _, p := range testenv.Matrix {
		t.Run(p.GOOS+"/"+p.GOARCH, func(t *testing.T) {
			path := testenv.Build(t, testenv.BuildSpec{GOOS: p.GOOS, GOARCH: p.GOARCH})
			ev := checkFile(t, path)
			want := EvidenceInconclusive
			if hasDecoder(p.GOARCH) {
				want = EvidenceConsistent
			}
			if ev.Status != want {
				t.Errorf("status = %v, want %v: %s", ev.Status, want, ev.Reason)
			}
			if ev.Bytes != DefaultSampleBytes {
				t.Errorf("sampled %d bytes, want %d", ev.Bytes, DefaultSampleBytes)
			}
			if want == EvidenceConsistent && ev.Scores[0].Arch != p.GOARCH {
				t.Errorf("first score is for %s, want the header's %s", ev.Scores[0].Arch, p.GOARCH)
			}
			t.Log(ev.Reason)
		})
	}
}

// TestEntryFileOffset compares the entry point with the go command's own
// symbol table: Go executables start at _rt0_<goarch>_<goos>, whose
// address `go tool nm` prints, mapped to the file through the section
// that holds it.
func TestEntryFileOffset(t *testing.T) {
	for _, p := range testenv.Matrix {
		t.Run(p.GOOS+"/"+p.GOARCH, func(t *testing.T) {
			path := testenv.Build(t, testenv.BuildSpec{GOOS: p.GOOS, GOARCH: p.GOARCH})
			sym := "_rt0_" + p.GOARCH + "_" + p.GOOS
			if p.GOOS == "darwin" {
				sym = "_" + sym // Mach-O symbols carry the C underscore
			}
			addr := nmAddr(t, path, sym)
			want := fileOffsetOfAddr(t, path, addr)
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := entryFileOffset(f.Slices[0])
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("entryFileOffset = %#x, want %#x (%s at %#x)", got, want, sym, addr)
			}
		})
	}
}

// nmAddr returns the address of sym as printed by `go tool nm`.
func nmAddr(t *testing.T, path, sym string) uint64 {
	t.Helper()
	out := testenv.Run(t, testenv.GoCommand(t, "tool", "nm", path))
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) == 3 && f[2] == sym {
			a, err := strconv.ParseUint(f[0], 16, 64)
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
	}
	t.Skipf("go tool nm does not list %s", sym)
	return 0
}

// fileOffsetOfAddr maps a virtual address to a file offset through the
// sections of whichever format path is in.
func fileOffsetOfAddr(t *testing.T, path string, addr uint64) int64 {
	t.Helper()
	type sect struct{ addr, size, off uint64 }
	var sects []sect
	if f, err := macho.Open(path); err == nil {
		for _, s := range f.Sections {
			sects = append(sects, sect{s.Addr, s.Size, uint64(s.Offset)})
		}
		f.Close()
	} else if f, err := elf.Open(path); err == nil {
		for _, s := range f.Sections {
			if s.Type != elf.SHT_NOBITS {
				sects = append(sects, sect{s.Addr, s.Size, s.Offset})
			}
		}
		f.Close()
	} else if f, err := pe.Open(path); err == nil {
		// go tool nm prints PE addresses with the image base added.
		var base uint64
		switch oh := f.OptionalHeader.(type) {
		case *pe.OptionalHeader32:
			base = uint64(oh.ImageBase)
		case *pe.OptionalHeader64:
			base = oh.ImageBase
		}
		for _, s := range f.Sections {
			sects = append(sects, sect{base + uint64(s.VirtualAddress), uint64(min(s.VirtualSize, s.Size)), uint64(s.Offset)})
		}
		f.Close()
	} else {
		t.Fatalf("%s is in no format debug/* reads", path)
	}
	for _, s := range sects {
		if addr >= s.addr && addr-s.addr < s.size {
			return int64(s.off + addr - s.addr)
		}
	}
	t.Fatalf("address %#x is in no section", addr)
	return 0
}

// transplant writes a copy of dst whose text section holds the text of
// src (both real binaries, nothing synthesized) and returns its path.
func transplant(t *testing.T, dst, src string) string {
	t.Helper()
	d, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	doff, dsize := textRange(t, dst)
	soff, ssize := textRange(t, src)
	n := min(dsize, ssize)
	copy(d[doff:doff+n], s[soff:soff+n])
	out := filepath.Join(t.TempDir(), filepath.Base(dst)+"-with-"+filepath.Base(src)+"-text")
	if err := os.WriteFile(out, d, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCheckInstructionsTransplant is the negative test: a real binary of
// one architecture carrying the real code of another is inconsistent, and
// one whose code was zeroed is inconclusive.
func TestCheckInstructionsTransplant(t *testing.T) {
	build := func(goos, goarch string) string {
		// Transplanting copies the start of one text over the other, so
		// the entry point must lie within the copied part: not so in
		// Program's tiny binaries.
		return testenv.Build(t, testenv.BuildSpec{GOOS: goos, GOARCH: goarch, Source: testenv.FmtProgram})
	}
	tests := []struct {
		name     string
		dst, src [2]string // GOOS, GOARCH
		want     EvidenceStatus
	}{
		{"darwin arm64 with amd64 text", [2]string{"darwin", "arm64"}, [2]string{"darwin", "amd64"}, EvidenceInconsistent},
		{"darwin amd64 with arm64 text", [2]string{"darwin", "amd64"}, [2]string{"darwin", "arm64"}, EvidenceInconsistent},
		{"linux arm64 with amd64 text", [2]string{"linux", "arm64"}, [2]string{"linux", "amd64"}, EvidenceInconsistent},
		{"linux amd64 with arm64 text", [2]string{"linux", "amd64"}, [2]string{"linux", "arm64"}, EvidenceInconsistent},
		{"linux riscv64 with ppc64le text", [2]string{"linux", "riscv64"}, [2]string{"linux", "ppc64le"}, EvidenceInconsistent},
		{"linux arm64 with arm64 text", [2]string{"linux", "arm64"}, [2]string{"darwin", "arm64"}, EvidenceConsistent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := transplant(t, build(tt.dst[0], tt.dst[1]), build(tt.src[0], tt.src[1]))
			ev := checkFile(t, path)
			if ev.Status != tt.want {
				t.Errorf("status = %v, want %v: %s", ev.Status, tt.want, ev.Reason)
			}
			t.Log(ev.Reason)
		})
	}
	t.Run("darwin arm64 with zeroed text", func(t *testing.T) {
		path := build("darwin", "arm64")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		off, size := textRange(t, path)
		clear(b[off : off+size])
		zeroed := filepath.Join(t.TempDir(), "zeroed")
		if err := os.WriteFile(zeroed, b, 0o644); err != nil {
			t.Fatal(err)
		}
		ev := checkFile(t, zeroed)
		if ev.Status != EvidenceInconclusive || !strings.Contains(ev.Reason, "all zero") {
			t.Errorf("got %v (%s), want inconclusive because all zero", ev.Status, ev.Reason)
		}
	})
}

// TestCheckInstructionsOfficialToolchains checks every executable of the
// official darwin distributions.
func TestCheckInstructionsOfficialToolchains(t *testing.T) {
	for _, arch := range []string{"arm64", "amd64"} {
		dir := testenv.Toolchain(t, testenv.OfficialVersion, "darwin", arch)
		var files []string
		for _, sub := range []string{"bin", filepath.Join("pkg", "tool", "darwin_"+arch)} {
			ents, err := os.ReadDir(filepath.Join(dir, sub))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range ents {
				files = append(files, filepath.Join(dir, sub, e.Name()))
			}
		}
		if len(files) < 10 { // go, gofmt and 8 tools (FACTS.md)
			t.Errorf("darwin/%s: only %d files in bin/ and pkg/tool/", arch, len(files))
		}
		for _, path := range files {
			t.Run("darwin-"+arch+"/"+filepath.Base(path), func(t *testing.T) {
				ev := checkFile(t, path)
				if ev.Status != EvidenceConsistent || ev.Scores[0].Arch != arch {
					t.Errorf("status = %v (first score %s), want consistent as %s: %s", ev.Status, ev.Scores[0].Arch, arch, ev.Reason)
				}
			})
		}
	}
}

// TestCheckInstructionsSharedLibrary: a shared library without an entry
// point (e_entry 0) is sampled from the start of its .text section. The
// host's own libraries are the real inputs; they are not cross-compiled.
func TestCheckInstructionsSharedLibrary(t *testing.T) {
	libs, _ := filepath.Glob("/usr/lib/*-linux-gnu/lib[mz].so.[0-9]")
	var tested int
	for _, path := range libs {
		ef, err := elf.Open(path)
		if err != nil {
			continue
		}
		text := ef.Section(".text")
		entry := ef.Entry
		ef.Close()
		if entry != 0 || text == nil {
			continue
		}
		tested++
		t.Run(filepath.Base(path), func(t *testing.T) {
			s := firstSlice(t, path)
			if s.Type != TypeSharedLibrary {
				t.Fatalf("type %v, want a shared library", s.Type)
			}
			ev, err := s.CheckInstructions(0)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Offset != int64(text.Offset) {
				t.Errorf("sampled from %#x, want the .text section at %#x", ev.Offset, text.Offset)
			}
			if hasDecoder(s.Arch) && ev.Status != EvidenceConsistent {
				t.Errorf("status = %v, want consistent: %s", ev.Status, ev.Reason)
			}
		})
	}
	if tested == 0 {
		t.Skip("no host shared library without an entry point (libm, libz) found")
	}
}

// TestCheckInstructionsSampleSize: small samples are inconclusive, the
// size asked for is honoured, and absurd sizes are capped.
func TestCheckInstructionsSampleSize(t *testing.T) {
	// The 64 KiB cap must fit between the entry point and the end of the
	// text, which it does not in Program's tiny binaries.
	path := testenv.Build(t, testenv.BuildSpec{GOOS: "linux", GOARCH: "arm64", Source: testenv.FmtProgram})
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tests := []struct {
		name      string
		maxBytes  int
		wantBytes int
		want      EvidenceStatus
	}{
		{"default", 0, DefaultSampleBytes, EvidenceConsistent},
		{"negative means default", -1, DefaultSampleBytes, EvidenceConsistent},
		{"too small", minSampleCodeBytes / 2, minSampleCodeBytes / 2, EvidenceInconclusive},
		{"half", DefaultSampleBytes / 2, DefaultSampleBytes / 2, EvidenceConsistent},
		{"capped", 1 << 40, maxSampleBytes, EvidenceConsistent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := f.Slices[0].CheckInstructions(tt.maxBytes)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([2]any{tt.wantBytes, tt.want}, [2]any{ev.Bytes, ev.Status}); diff != "" {
				t.Errorf("(bytes, status) mismatch (-want +got):\n%s\n%s", diff, ev.Reason)
			}
		})
	}
}

func TestEvidenceStatusJSON(t *testing.T) {
	ev := InstructionEvidence{Status: EvidenceInconsistent, Scores: []ArchScore{{Arch: "arm64"}}}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"status":"inconsistent"`, `"arch":"arm64"`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("JSON %s lacks %s", b, want)
		}
	}
	for s, want := range map[EvidenceStatus]string{EvidenceInconclusive: "inconclusive", EvidenceConsistent: "consistent", 7: "EvidenceStatus(7)"} {
		if got := s.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(s), got, want)
		}
	}
}

// fuzzSeeds returns real binaries for the fuzz targets.
func fuzzSeeds(f *testing.F) [][]byte {
	var bins [][]byte
	for _, p := range []struct{ GOOS, GOARCH string }{{"darwin", "arm64"}, {"darwin", "amd64"}, {"linux", "amd64"}, {"windows", "arm64"}} {
		b := testenv.BuildBytes(f, testenv.BuildSpec{GOOS: p.GOOS, GOARCH: p.GOARCH})
		bins = append(bins, b)
	}
	return bins
}

// fuzzHeadSize is how much of a real binary FuzzCheckInstructions
// mutates: every header, load command and program header of the seeds
// lies in it. Mutating whole megabyte binaries ran at a few executions
// a minute.
const fuzzHeadSize = 8 << 10

// FuzzCheckInstructions mutates the headers of real binaries, keeping
// their real code behind, so the entry point lands anywhere.
//
// Fuzz both targets with -fuzzminimizetime 50x, as .ci/run does: under
// the fuzzer's instrumentation the x/arch decoders take 25–65 ms per
// 4 KiB, and the default minimization of each new 4 KiB input ate the
// whole minute (5 executions in 60 s, against 3,000–8,000 with the flag).
func FuzzCheckInstructions(f *testing.F) {
	bins := fuzzSeeds(f)
	for i, b := range bins {
		f.Add(uint8(i), b[:fuzzHeadSize])
	}
	f.Fuzz(func(t *testing.T, which uint8, head []byte) {
		b := bytes.Clone(bins[int(which)%len(bins)])
		if len(head) < len(b) {
			copy(b, head)
		} else {
			b = head
		}
		ff, err := NewFile(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, s := range ff.Slices {
			ev, err := s.CheckInstructions(0)
			if err != nil {
				continue
			}
			if ev.Bytes > DefaultSampleBytes || ev.Status < EvidenceInconclusive || ev.Status > EvidenceInconsistent {
				t.Fatalf("bad evidence %+v", ev)
			}
		}
	})
}

// FuzzScoreSample feeds the decoders and the judgement arbitrary code,
// seeded with the real code at real entry points.
func FuzzScoreSample(f *testing.F) {
	for _, b := range fuzzSeeds(f) {
		ff, err := NewFile(bytes.NewReader(b))
		if err != nil {
			f.Fatal(err)
		}
		s := ff.Slices[0]
		off, err := entryFileOffset(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(s.Arch, b[off:off+DefaultSampleBytes])
	}
	f.Fuzz(func(t *testing.T, arch string, code []byte) {
		code = code[:min(len(code), maxSampleBytes)] // as CheckInstructions caps it
		ev := scoreSample(arch, code)
		if ev.Status != EvidenceInconclusive && (len(ev.Scores) == 0 || ev.Scores[0].Arch != arch) {
			t.Fatalf("judged %v without a score for %q: %+v", ev.Status, arch, ev)
		}
		for _, sc := range ev.Scores {
			if sc.Rate < 0 || sc.Rate > 1 || sc.Valid > sc.Decoded || sc.Plausible > sc.ValidBytes {
				t.Fatalf("bad score %+v", sc)
			}
		}
	})
}

func BenchmarkCheckInstructions(b *testing.B) {
	path := testenv.Build(b, testenv.BuildSpec{GOOS: "darwin", GOARCH: "arm64"})
	f, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.Slices[0].CheckInstructions(0); err != nil {
			b.Fatal(err)
		}
	}
}

// Measurement: the numbers beside the thresholds in instructions.go.

var (
	measureInstructions = flag.Bool("measure-instructions", false, "log decoder score distributions over real binaries' text (slow)")
	measureWindow       = flag.Int("measure-window", DefaultSampleBytes, "window size for -measure-instructions")
)

// textRange returns the file range of a binary's main code section:
// __text, or .text in ELF and PE.
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
