package archcheck

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/nativego/nativego/internal/testenv"
)

// FuzzMachO feeds mutated Mach-O files, thin and universal, to NewFile
// and readMachO (and WriteUniversal, which checks its inputs with the
// same decoder). Nothing may panic; errors are fine.
//
// Run it with a small minimization budget,
//
//	go test -run '^$' -fuzz FuzzMachO -fuzztime 60s -fuzzminimizetime 10x -parallel 1 ./archcheck/
//
// With the default (60 s per new input) the engine spent nearly all its
// time minimizing the kilobytes-long inputs and ran a few executions a
// minute; with 10x it runs thousands a second.
func FuzzMachO(f *testing.F) {
	// The header and load commands are in the first pages, so the seeds
	// are the first 4 KiB of real executables (their load commands take
	// under 3 KiB): whole ones are megabytes of code the decoder never
	// reads, which the fuzzer would copy and mutate for nothing.
	var thin []io.ReaderAt
	for _, goarch := range []string{"arm64", "amd64"} {
		b := testenv.BuildBytes(f, testenv.BuildSpec{GOOS: "darwin", GOARCH: goarch})
		f.Add(b[:4<<10])
		thin = append(thin, bytes.NewReader(b))
	}
	// WriteUniversal wants whole slices (a cut one's segments point past
	// its end); the seed keeps the universal header and the first slice's
	// load commands, and its cut second slice exercises the bounds checks.
	var universal bytes.Buffer
	if err := WriteUniversal(&universal, thin, nil); err != nil {
		f.Fatal(err)
	}
	f.Add(universal.Bytes()[:min(universal.Len(), 20<<10)])

	// Small real objects from llc cover 32-bit ARM and Intel layouts, LC_VERSION_MIN_* and LC_BUILD_VERSION, and make a
	// universal seed of a few kilobytes. They are optional: the fuzzer
	// runs without LLVM, only with fewer seeds.
	if _, err := os.Stat(filepath.Join(llvmBin, "llc")); err == nil {
		dir := f.TempDir()
		var objs []io.ReaderAt
		for _, triple := range []string{"i386-apple-macosx10.6", "armv7-apple-ios9.0", "x86_64-apple-ios13.1-macabi", "arm64-apple-ios14.0-simulator"} {
			b, err := os.ReadFile(llcObject(f, dir, triple))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
			objs = append(objs, bytes.NewReader(b))
		}
		var small bytes.Buffer
		if err := WriteUniversal(&small, objs, &UniversalOptions{}); err != nil {
			f.Fatal(err)
		}
		f.Add(small.Bytes())
		small.Reset()
		if err := WriteUniversal(&small, objs, &UniversalOptions{Fat64: true}); err != nil {
			f.Fatal(err)
		}
		f.Add(small.Bytes())
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := NewFile(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, s := range file.Slices {
			if file.Format != FormatMachO && file.Format != FormatMachOFat {
				continue
			}
			info, err := readMachO(s)
			if (info == nil) == (err == nil) {
				t.Fatalf("readMachO returned info %v and error %v", info, err)
			}
			if (err == nil) != (s.MachO != nil) {
				t.Fatalf("NewFile and readMachO disagree: Slice.MachO %v, readMachO error %v", s.MachO, err)
			}
		}
		if file.Format == FormatMachO {
			WriteUniversal(io.Discard, []io.ReaderAt{bytes.NewReader(data)}, nil)
		}
	})
}
