package toolchain

import (
	"debug/buildinfo"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/nativego/nativego/archcheck"
	"github.com/nativego/nativego/internal/testenv"
)

// FuzzBuildVersion feeds buildVersion damaged copies of real Go
// executables (gofmt from the official darwin/arm64 and darwin/amd64
// releases and from the go running the tests). Whole multi-megabyte
// files as fuzz inputs stall the fuzzer (zero executions in a minute), so
// the input is instead which file, a patch to lay over it at an offset,
// and where to cut it short. buildVersion must never panic, and when both
// it and debug/buildinfo read a version they must agree.
func FuzzBuildVersion(f *testing.F) {
	var files [][]byte
	for _, p := range []struct{ goos, goarch string }{{"darwin", "arm64"}, {"darwin", "amd64"}} {
		files = append(files, readFile(f, filepath.Join(testenv.Toolchain(f, testenv.OfficialVersion, p.goos, p.goarch), "bin", "gofmt")))
	}
	if local := filepath.Join(filepath.Dir(testenv.GoTool(f)), "gofmt"); fileExists(local) {
		files = append(files, readFile(f, local))
	}
	for i := range files {
		f.Add(uint8(i), uint32(16), []byte{0xff, 0xff, 0xff, 0xff}, uint32(0)) // ncmds/sizeofcmds
		f.Add(uint8(i), uint32(40), []byte{0x19}, uint32(0))
		f.Add(uint8(i), uint32(0), []byte{}, uint32(4096))
	}
	f.Fuzz(func(t *testing.T, which uint8, off uint32, patch []byte, cut uint32) {
		file := files[int(which)%len(files)]
		size := int64(len(file))
		if cut != 0 {
			size = int64(cut) % size
		}
		r := &patched{base: file[:size], off: int64(off) % max(size, 1), patch: patch}
		h, err := archcheck.ReadHeader(io.NewSectionReader(r, 0, size))
		if err != nil {
			return
		}
		got, err := buildVersion(r, h)
		if err != nil {
			return
		}
		bi, err := guard("debug/buildinfo", func() (*buildinfo.BuildInfo, error) { return buildinfo.Read(r) })
		if err == nil && bi.GoVersion != got {
			t.Errorf("buildVersion = %q, debug/buildinfo says %q", got, bi.GoVersion)
		}
	})
}

// patched is base with patch laid over it at off, without copying base.
type patched struct {
	base  []byte
	off   int64
	patch []byte
}

func (p *patched) ReadAt(b []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if off >= int64(len(p.base)) {
		return 0, io.EOF
	}
	n := copy(b, p.base[off:])
	// Overlay the part of the patch that falls inside [off, off+n).
	for i, c := range p.patch {
		at := p.off + int64(i)
		if at >= int64(len(p.base)) {
			break
		}
		if at >= off && at < off+int64(n) {
			b[at-off] = c
		}
	}
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

func (p *patched) Size() int64 { return int64(len(p.base)) }

func readFile(f *testing.F, name string) []byte {
	b, err := os.ReadFile(name)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

func fileExists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}
