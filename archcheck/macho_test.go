package archcheck

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/nativego/nativego/internal/testenv"
)

// ignoreSignature leaves the code signature, which Open adds to MachOInfo
// and codesign_test.go checks, out of load-command comparisons.
var ignoreSignature = cmpopts.IgnoreFields(MachOInfo{}, "Signature")

// llvmBin is where Debian and Ubuntu install LLVM 14's tools, the oracles
// and producers of Mach-O files here: llvm-otool, llvm-objdump,
// llvm-lipo, llvm-install-name-tool, llvm-mc and llc (package llvm-14),
// and ld64.lld (package lld-14).
const llvmBin = "/usr/lib/llvm-14/bin"

var llvmChecked sync.Map

// mustHaveLLVM returns the path of an LLVM 14 tool, skipping t when it is
// not installed (failing it in CI, which installs llvm-14).
func mustHaveLLVM(t testing.TB, tool string) string {
	t.Helper()
	p := filepath.Join(llvmBin, tool)
	v, ok := llvmChecked.Load(p)
	if !ok {
		_, err := os.Stat(p)
		v, _ = llvmChecked.LoadOrStore(p, err)
	}
	if err, _ := v.(error); err != nil {
		if testenv.InCI() {
			t.Fatalf("CI=true but %s is missing (Debian packages llvm-14 and lld-14): %v", p, err)
		}
		pkg := "llvm-14"
		if strings.Contains(tool, "lld") {
			pkg = "lld-14"
		}
		t.Skipf("%s not installed (Debian package %s): %v", p, pkg, err)
	}
	return p
}

// runTool runs a tool and returns its standard output.
func runTool(t testing.TB, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), name, args...)
	cmd.WaitDelay = 10 * time.Second
	return testenv.Run(t, cmd)
}

// otoolCommand is one load command as llvm-otool -l prints it: its name
// and its "key value" lines. Sections of a segment are dropped.
type otoolCommand struct {
	name   string
	fields map[string]string
	rip    string // LC_UNIXTHREAD x86_64: the rip register
}

var ripRE = regexp.MustCompile(`\brip\s+(0x[0-9a-f]+)`)

// otool runs llvm-otool -h -l on path and returns the header flags and
// the load commands of its (only) architecture.
func otool(t *testing.T, path string) (flags uint32, cmds []otoolCommand) {
	t.Helper()
	out := runTool(t, mustHaveLLVM(t, "llvm-otool"), "-h", "-l", path)
	sc := bufio.NewScanner(bytes.NewReader(out))
	var cur *otoolCommand
	inSection, sawHeader := false, false
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "magic cputype"):
			if !sawHeader && sc.Scan() {
				f := strings.Fields(sc.Text())
				v, err := strconv.ParseUint(f[len(f)-1], 0, 32)
				if err != nil {
					t.Fatalf("otool header line %q: %v", sc.Text(), err)
				}
				flags, sawHeader = uint32(v), true
			}
			continue
		case strings.HasPrefix(line, "Load command "):
			cmds = append(cmds, otoolCommand{fields: map[string]string{}})
			cur, inSection = &cmds[len(cmds)-1], false
			continue
		case line == "Section", line == "Mach header":
			inSection = true
			continue
		}
		if cur == nil || inSection {
			continue
		}
		if m := ripRE.FindStringSubmatch(line); m != nil {
			cur.rip = m[1]
		}
		// Keys may be several words ("current version"); the value is the
		// rest of the line after the key.
		for _, key := range []string{"cmd", "uuid", "platform", "sdk", "minos", "version", "entryoff",
			"name", "path", "current version", "compatibility version", "vmaddr", "fileoff",
			"filesize", "dataoff", "datasize", "cryptid"} {
			if v, ok := strings.CutPrefix(trimmed, key+" "); ok {
				if key == "cmd" {
					cur.name = v
				} else {
					cur.fields[key] = v
				}
				break
			}
		}
	}
	if !sawHeader {
		t.Fatalf("llvm-otool -h printed no Mach header for %s:\n%s", path, out)
	}
	return flags, cmds
}

// otoolPlatforms maps llvm-otool's platform names to MachOInfo's.
var otoolPlatforms = map[string]string{
	"macos": "macos", "ios": "ios", "tvos": "tvos", "watchos": "watchos", "bridgeos": "bridgeos",
	"macCatalyst": "maccatalyst", "iossimulator": "ios-simulator", "tvossimulator": "tvos-simulator",
	"watchossimulator": "watchos-simulator", "driverkit": "driverkit",
	"LC_VERSION_MIN_MACOSX": "macos", "LC_VERSION_MIN_IPHONEOS": "ios",
	"LC_VERSION_MIN_TVOS": "tvos", "LC_VERSION_MIN_WATCHOS": "watchos",
}

var otoolDylibKinds = map[string]DylibKind{
	"LC_LOAD_DYLIB": DylibLoad, "LC_LOAD_WEAK_DYLIB": DylibWeak, "LC_REEXPORT_DYLIB": DylibReexport,
	"LC_LAZY_LOAD_DYLIB": DylibLazy, "LC_LOAD_UPWARD_DYLIB": DylibUpward,
}

// otoolInfo builds the MachOInfo that llvm-otool's view of path implies.
// simulator says the file was built for a simulator: an
// LC_VERSION_MIN_* command does not say so itself.
func otoolInfo(t *testing.T, path string, simulator bool) *MachOInfo {
	t.Helper()
	flags, cmds := otool(t, path)
	want := &MachOInfo{Flags: flags, PIE: flags&0x200000 != 0}
	type segment struct{ vmaddr, fileoff, filesize uint64 }
	var segs []segment
	var rip string
	num := func(s string) uint64 {
		t.Helper()
		v, err := strconv.ParseUint(s, 0, 64)
		if err != nil {
			t.Fatalf("%s: otool value %q: %v", path, s, err)
		}
		return v
	}
	// "name /usr/lib/libSystem.B.dylib (offset 24)"
	str := func(s string) string { return s[:strings.LastIndex(s, " (offset ")] }
	for _, c := range cmds {
		f := c.fields
		switch c.name {
		case "LC_SEGMENT", "LC_SEGMENT_64":
			segs = append(segs, segment{num(f["vmaddr"]), num(f["fileoff"]), num(f["filesize"])})
		case "LC_UUID":
			want.UUID = f["uuid"]
		case "LC_BUILD_VERSION":
			if want.Platform == "" {
				want.Platform, want.MinOS, want.SDK = otoolPlatforms[f["platform"]], f["minos"], f["sdk"]
			}
		case "LC_VERSION_MIN_MACOSX", "LC_VERSION_MIN_IPHONEOS", "LC_VERSION_MIN_TVOS", "LC_VERSION_MIN_WATCHOS":
			if want.Platform == "" {
				want.Platform, want.MinOS, want.SDK = otoolPlatforms[c.name], f["version"], f["sdk"]
				if simulator {
					want.Platform += "-simulator"
				}
			}
		case "LC_MAIN":
			want.EntryCommand, want.EntryOffset = "LC_MAIN", int64(num(f["entryoff"]))
		case "LC_UNIXTHREAD":
			want.EntryCommand, rip = "LC_UNIXTHREAD", c.rip
		case "LC_LOAD_DYLIB", "LC_LOAD_WEAK_DYLIB", "LC_REEXPORT_DYLIB", "LC_LAZY_LOAD_DYLIB", "LC_LOAD_UPWARD_DYLIB":
			want.Dylibs = append(want.Dylibs, Dylib{
				Name: str(f["name"]), Kind: otoolDylibKinds[c.name],
				CurrentVersion: f["current version"], CompatibilityVersion: f["compatibility version"],
			})
		case "LC_RPATH":
			want.Rpaths = append(want.Rpaths, str(f["path"]))
		case "LC_CODE_SIGNATURE":
			want.CodeSignatureOffset, want.CodeSignatureSize = uint32(num(f["dataoff"])), uint32(num(f["datasize"]))
		case "LC_ENCRYPTION_INFO", "LC_ENCRYPTION_INFO_64":
			want.Encrypted = want.Encrypted || num(f["cryptid"]) != 0
		}
	}
	if want.SDK == "n/a" {
		want.SDK = ""
	}
	if rip != "" {
		pc := num(rip)
		want.EntryOffset = -1
		for _, s := range segs {
			if pc >= s.vmaddr && pc < s.vmaddr+s.filesize {
				want.EntryOffset = int64(s.fileoff + pc - s.vmaddr)
				break
			}
		}
	}
	return want
}

// checkMachO compares what readMachO says of the thin file at path with
// llvm-otool's view of it.
func checkMachO(t *testing.T, path string, simulator bool) *MachOInfo {
	t.Helper()
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Format != FormatMachO || len(f.Slices) != 1 {
		t.Fatalf("Open(%s): format %v with %d slices, want one thin Mach-O slice", path, f.Format, len(f.Slices))
	}
	s := f.Slices[0]
	if s.Err != nil {
		t.Fatalf("slice error: %v", s.Err)
	}
	want := otoolInfo(t, path, simulator)
	if diff := cmp.Diff(want, s.MachO, ignoreSignature); diff != "" {
		t.Errorf("MachO of %s mismatch (-want +got):\n%s", path, diff)
	}
	return s.MachO
}

// goDarwinBuilds are the Go-built darwin binaries the tests read, by
// name: both ports, position-independent and stripped variants.
var goDarwinBuilds = []struct {
	name string
	spec testenv.BuildSpec
}{
	{"arm64", testenv.BuildSpec{GOOS: "darwin", GOARCH: "arm64"}},
	{"amd64", testenv.BuildSpec{GOOS: "darwin", GOARCH: "amd64"}},
	{"arm64-pie", testenv.BuildSpec{GOOS: "darwin", GOARCH: "arm64", Flags: []string{"-buildmode=pie"}}},
	{"amd64-pie", testenv.BuildSpec{GOOS: "darwin", GOARCH: "amd64", Flags: []string{"-buildmode=pie"}}},
	{"arm64-stripped", testenv.BuildSpec{GOOS: "darwin", GOARCH: "arm64", Flags: []string{"-ldflags=-s -w"}}},
	{"amd64-stripped", testenv.BuildSpec{GOOS: "darwin", GOARCH: "amd64", Flags: []string{"-ldflags=-s -w"}}},
}

func TestReadMachOGoBuilds(t *testing.T) {
	mustHaveLLVM(t, "llvm-otool")
	for _, b := range goDarwinBuilds {
		t.Run(b.name, func(t *testing.T) {
			got := checkMachO(t, testenv.Build(t, b.spec), false)
			// Facts the oracle comparison alone would let slip: a Go
			// binary always has an entry point and links libSystem, and
			// Go's linker signs arm64 output only.
			if got.EntryCommand == "" || got.EntryOffset <= 0 {
				t.Errorf("entry point %s at %d, want one inside the file", got.EntryCommand, got.EntryOffset)
			}
			if len(got.Dylibs) == 0 || got.Dylibs[0].Name != "/usr/lib/libSystem.B.dylib" {
				t.Errorf("dylibs %v, want libSystem first", got.Dylibs)
			}
			if signed := got.CodeSignatureSize != 0; signed != (b.spec.GOARCH == "arm64") {
				t.Errorf("code signature size %d for %s", got.CodeSignatureSize, b.spec.GOARCH)
			}
		})
	}
}

// TestReadMachORpaths adds LC_RPATH commands with llvm-install-name-tool,
// since Go's linker writes none, and renames a dylib.
func TestReadMachORpaths(t *testing.T) {
	tool := mustHaveLLVM(t, "llvm-install-name-tool")
	mustHaveLLVM(t, "llvm-otool")
	for _, goarch := range []string{"arm64", "amd64"} {
		t.Run(goarch, func(t *testing.T) {
			src := testenv.Build(t, testenv.BuildSpec{GOOS: "darwin", GOARCH: goarch})
			data, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			bin := filepath.Join(t.TempDir(), "prog")
			if err := os.WriteFile(bin, data, 0o755); err != nil {
				t.Fatal(err)
			}
			rpaths := []string{"@executable_path/../lib", "/opt/nativego/lib", "@loader_path/Frameworks-with-a-long-name"}
			args := []string{"-change", "/usr/lib/libresolv.9.dylib", "@rpath/libresolv.9.dylib"}
			for _, p := range rpaths {
				args = append(args, "-add_rpath", p)
			}
			runTool(t, tool, append(args, bin)...)
			got := checkMachO(t, bin, false)
			if diff := cmp.Diff(rpaths, got.Rpaths); diff != "" {
				t.Errorf("rpaths mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReadMachOOfficial reads every executable of the official darwin
// distributions, which are linked by Apple's linker (cgo), not Go's.
func TestReadMachOOfficial(t *testing.T) {
	mustHaveLLVM(t, "llvm-otool")
	for _, goarch := range []string{"arm64", "amd64"} {
		t.Run(goarch, func(t *testing.T) {
			root := testenv.Toolchain(t, testenv.OfficialVersion, "darwin", goarch)
			var files []string
			for _, dir := range []string{"bin", filepath.Join("pkg", "tool", "darwin_"+goarch)} {
				ents, err := os.ReadDir(filepath.Join(root, dir))
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range ents {
					files = append(files, filepath.Join(root, dir, e.Name()))
				}
			}
			if len(files) < 10 {
				t.Fatalf("found only %d files in %s", len(files), root)
			}
			for _, p := range files {
				t.Run(filepath.Base(p), func(t *testing.T) {
					got := checkMachO(t, p, false)
					if got.Platform != "macos" || got.UUID == "" || got.CodeSignatureSize == 0 {
						t.Errorf("platform %q, UUID %q, signature %d bytes: want a signed macOS binary with a UUID",
							got.Platform, got.UUID, got.CodeSignatureSize)
					}
				})
			}
		})
	}
}

// llcTriples are target triples whose object files, compiled by llc from
// an empty function, cover the platforms and CPUs Go cannot produce.
var llcTriples = []string{
	"arm64-apple-ios14.0", "arm64-apple-ios14.0-simulator", "x86_64-apple-tvos14.0-simulator",
	"x86_64-apple-watchos7.0-simulator", "arm64-apple-macos11.0.3", "x86_64-apple-ios13.1-macabi",
	"arm64e-apple-ios14.0", "x86_64-apple-macosx10.9", "i386-apple-macosx10.6",
	"i386-apple-ios10.0-simulator", "armv7-apple-ios9.0", "armv7k-apple-watchos5.0",
	"arm64_32-apple-watchos5.0", "arm64-apple-tvos14.0", "x86_64h-apple-macosx10.12",
}

// llcObject compiles an empty function for triple with llc into dir.
func llcObject(t testing.TB, dir, triple string) string {
	t.Helper()
	llc := mustHaveLLVM(t, "llc")
	src := filepath.Join(dir, "f.ll")
	if err := os.WriteFile(src, []byte("define void @f() {\n  ret void\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, triple+".o")
	runTool(t, llc, "-mtriple="+triple, "-filetype=obj", src, "-o", out)
	return out
}

func TestReadMachOPlatforms(t *testing.T) {
	mustHaveLLVM(t, "llvm-otool")
	dir := t.TempDir()
	for _, triple := range llcTriples {
		t.Run(triple, func(t *testing.T) {
			got := checkMachO(t, llcObject(t, dir, triple), strings.HasSuffix(triple, "-simulator"))
			if got.Platform == "" || got.MinOS == "" {
				t.Errorf("no platform or minimum OS: %+v", got)
			}
		})
	}
}

// TestReadMachOUniversal checks that the slices of a universal file made
// by llvm-lipo decode as the thin files did, and that an error in one
// slice is reported at its offset in the file.
func TestReadMachOUniversal(t *testing.T) {
	lipo := mustHaveLLVM(t, "llvm-lipo")
	mustHaveLLVM(t, "llvm-otool")
	arm := testenv.Build(t, testenv.BuildSpec{GOOS: "darwin", GOARCH: "arm64"})
	amd := testenv.Build(t, testenv.BuildSpec{GOOS: "darwin", GOARCH: "amd64"})
	fat := filepath.Join(t.TempDir(), "fat")
	runTool(t, lipo, "-create", amd, arm, "-output", fat)

	want := map[string]*MachOInfo{"amd64": otoolInfo(t, amd, false), "arm64": otoolInfo(t, arm, false)}
	f, err := Open(fat)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if len(f.Slices) != 2 {
		t.Fatalf("got %d slices, want 2", len(f.Slices))
	}
	for _, s := range f.Slices {
		if s.Err != nil {
			t.Errorf("%s slice: %v", s.Arch, s.Err)
		}
		if diff := cmp.Diff(want[s.Arch], s.MachO, ignoreSignature); diff != "" {
			t.Errorf("%s slice mismatch (-want +got):\n%s", s.Arch, diff)
		}
	}

	// Claim more load-command bytes than the second slice holds: the
	// error must name the file offset of sizeofcmds (mach_header + 20).
	data, err := os.ReadFile(fat)
	if err != nil {
		t.Fatal(err)
	}
	second := f.Slices[1]
	copy(data[second.Offset+20:], []byte{0xff, 0xff, 0xff, 0x7f})
	f2, err := NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var fe *FormatError
	if !errors.As(f2.Slices[1].Err, &fe) {
		t.Fatalf("corrupt slice: Err = %v, want a *FormatError", f2.Slices[1].Err)
	}
	if fe.Off != second.Offset+20 {
		t.Errorf("FormatError.Off = %#x, want %#x (%v)", fe.Off, second.Offset+20, fe)
	}
	if f2.Slices[1].MachO != nil || f2.Slices[0].Err != nil || f2.Slices[0].MachO == nil {
		t.Errorf("a bad second slice must cost only its own details")
	}
}

// TestReadMachOLinkedByLLD links libraries and an executable with
// ld64.lld, the only linker here that writes LC_LOAD_WEAK_DYLIB,
// LC_REEXPORT_DYLIB and non-zero library versions (Go's linker writes
// plain LC_LOAD_DYLIB with version 0.0.0 only).
func TestReadMachOLinkedByLLD(t *testing.T) {
	lld := mustHaveLLVM(t, "ld64.lld")
	mc := mustHaveLLVM(t, "llvm-mc")
	mustHaveLLVM(t, "llvm-otool")
	for _, arch := range []string{"arm64", "x86_64"} {
		t.Run(arch, func(t *testing.T) {
			dir := t.TempDir()
			asm := func(name, sym string) string {
				t.Helper()
				src, obj := filepath.Join(dir, name+".s"), filepath.Join(dir, name+".o")
				text := fmt.Sprintf(".text\n.globl %s\n%s:\n  ret\n", sym, sym)
				if err := os.WriteFile(src, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
				runTool(t, mc, "-triple="+arch+"-apple-macos11", "-filetype=obj", src, "-o", obj)
				return obj
			}
			link := func(out string, args ...string) string {
				t.Helper()
				p := filepath.Join(dir, out)
				runTool(t, lld, append([]string{"-arch", arch, "-platform_version", "macos", "11.0", "13.1", "-o", p}, args...)...)
				return p
			}
			g := asm("g", "_g")
			lib := map[string]string{}
			for _, n := range []string{"a", "b", "c"} {
				lib[n] = link("lib"+n+".dylib", "-dylib", "-install_name", "/usr/local/lib/lib"+n+".dylib",
					"-current_version", "1.2.3", "-compatibility_version", "1.0", g)
			}
			m := asm("m", "_main")
			bins := map[string]string{
				"dylib": link("libx.dylib", "-dylib", "-install_name", "@rpath/libx.dylib", m, lib["a"],
					"-weak_library", lib["b"], "-reexport_library", lib["c"], "-rpath", "@loader_path/../lib"),
				"executable": link("exe", m, lib["a"], "-weak_library", lib["b"], "-rpath", "/opt/x/lib", "-rpath", "@executable_path"),
			}
			for name, p := range bins {
				t.Run(name, func(t *testing.T) {
					got := checkMachO(t, p, false)
					kinds := map[DylibKind]bool{}
					for _, d := range got.Dylibs {
						kinds[d.Kind] = true
					}
					if !kinds[DylibWeak] || (name == "dylib") != kinds[DylibReexport] {
						t.Errorf("dylib kinds %v: want a weak library, and a re-exported one in the dylib", got.Dylibs)
					}
					if (name == "executable") != (got.EntryCommand == "LC_MAIN") {
						t.Errorf("entry command %q for a %s", got.EntryCommand, name)
					}
				})
			}
		})
	}
}
