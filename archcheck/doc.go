// Package archcheck tells what an executable is built for and how it would
// run on a given machine: natively, translated by Rosetta 2, emulated, or
// not at all.
//
// # Reading files
//
// [Open] and [NewFile] read Mach-O files, universal ("fat") Mach-O files
// with 32-bit (FAT_MAGIC) or 64-bit (FAT_MAGIC_64) headers, ELF files of
// either word size and byte order, and PE images. The result is a [File]
// holding one [Slice] per architecture. For each slice it reports the
// architecture twice — Go's GOARCH name and the exact CPU ("arm64e",
// "x86_64h") — the file type, what the platform's loader needs, and the Go
// build information, read for every slice of a universal binary (the go
// command reads only the first).
//
// [ReadHeader] is the fast path: the format and architectures from a few
// hundred bytes, for scanning many files. [Identify] needs only the first
// eight bytes.
//
// # Scanning trees
//
// [Scan] walks trees with a bounded pool of workers and a bounded number
// of open descriptors, identifies every regular file from its first bytes
// and parses only executables, reporting problems with single paths as
// results. On Linux the workers identify files a batch at a time through
// io_uring (one system call for the opens, reads and closes of up to 64
// files), and fall back to plain system calls where io_uring is
// unavailable or refused, or when the environment variable
// NATIVEGO_URING is "off".
//
// # Verdicts
//
// [Assess] judges a File for a [Host]: it picks the slice the host's loader
// would pick and checks what that slice needs, giving a [Verdict] with
// reasons a person can act on. [DetectHost] describes the running machine,
// including the hardware's architecture from inside a process that Rosetta
// 2 translates or qemu-user emulates; [Target] describes a typical machine
// of a platform, for verdicts about somewhere else:
//
//	f, err := archcheck.Open(path)
//	if err != nil {
//		return err
//	}
//	defer f.Close()
//	a := archcheck.Assess(f, archcheck.Target("darwin", "arm64"))
//	if a.Verdict != archcheck.Native {
//		fmt.Println(path, a.Verdict, strings.Join(a.Reasons, "; "))
//	}
//
// # Hostile input
//
// Files are untrusted. Every size and count read from a file is checked
// against the file before it is used, large regions are read in bounded
// chunks, and calls into the standard library's debug parsers are isolated
// so that a panic on a malformed file becomes a [*ParserPanicError] for
// that file. Malformed input yields a [*FormatError] carrying the byte
// offset; callers test for [ErrNotExecutable] and [ErrNoBuildInfo] with
// errors.Is.
package archcheck
