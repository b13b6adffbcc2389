package modaudit

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/mod/module"
)

// CacheOptions configures [VerifyCache] and [CacheCoverage].
type CacheOptions struct {
	// ModCache is the module cache directory, GOMODCACHE; when empty,
	// [ModCache] finds it.
	ModCache string
	// Modules is the build list to check. When nil it is the module's
	// [Module.BuildList], read from its go.mod and go.sum; pass the
	// output of "go list -m all" for exactly the go command's list.
	Modules []module.Version
	// Workers bounds the files hashed at once; 0 means GOMAXPROCS.
	Workers int
}

// Verdicts of [VerifyCache] for one module.
const (
	VerdictVerified      = "verified"       // every tree in the cache matches its .ziphash
	VerdictModified      = "modified"       // the zip or the extracted tree differs from its .ziphash
	VerdictError         = "error"          // the check failed: a missing .ziphash, an unreadable zip
	VerdictNotDownloaded = "not-downloaded" // neither zip nor tree is in the cache: nothing to verify
)

// A ModuleVerdict is what [VerifyCache] found for one module version.
type ModuleVerdict struct {
	Path    string `json:"path"`
	Version string `json:"version"`
	Verdict string `json:"verdict"`
	// ZipHash is the content of the .ziphash file: the hash the go
	// command recorded, checked against go.sum, when it downloaded the
	// module.
	ZipHash string `json:"ziphash,omitempty"`
	// ZipSum and DirSum are the hashes of the zip and of the extracted
	// tree, when present.
	ZipSum string `json:"zip_sum,omitempty"`
	DirSum string `json:"dir_sum,omitempty"`
	// GoSum is the hash go.sum holds for the module's zip, when it has
	// one; GoSumMismatch reports a GoSum that differs from ZipHash, which
	// "go mod verify" does not look at.
	GoSum         string `json:"go_sum,omitempty"`
	GoSumMismatch bool   `json:"go_sum_mismatch,omitempty"`
	// Errors are the lines "go mod verify" prints for this module, word
	// for word.
	Errors []string `json:"errors,omitempty"`
	// Files names the files of a modified tree that differ from its zip,
	// when the zip itself is intact.
	Files []FileChange `json:"files,omitempty"`
}

// A FileChange names one file that differs between a module's zip and
// its extracted tree.
type FileChange struct {
	Name   string `json:"name"`   // as in the zip: path@version/file
	Change string `json:"change"` // "modified", "added" (only in the tree) or "missing" (only in the zip)
}

// A CacheVerification is the outcome of [VerifyCache].
type CacheVerification struct {
	ModCache string          `json:"modcache"`
	Modules  []ModuleVerdict `json:"modules"`
	// Verified, Modified, Errors and NotDownloaded count the modules of
	// each verdict.
	Verified      int `json:"verified"`
	Modified      int `json:"modified"`
	Errors        int `json:"errors"`
	NotDownloaded int `json:"not_downloaded"`
	// OK is true when "go mod verify" would succeed.
	OK bool `json:"ok"`
	// Output is what "go mod verify" would print: its error lines, or
	// "all modules verified".
	Output string `json:"output"`
}

// VerifyCache does what "go mod verify" does for the module in dir, in
// parallel over files rather than modules: for each module of the build
// list, the zip in GOMODCACHE/cache/download and the extracted tree are
// hashed with the h1: hash of golang.org/x/mod/sumdb/dirhash and compared
// with the .ziphash file the go command wrote when it downloaded the
// module (after checking it against go.sum). Its verdicts and messages
// are those of "go mod verify" (cmd/go/internal/modcmd.verifyMod); on
// top of them it names the files of a modified tree and compares each
// .ziphash with go.sum.
//
// An error is returned when the check cannot be made at all.
func VerifyCache(ctx context.Context, dir string, opts CacheOptions) (*CacheVerification, error) {
	m, err := LoadModule(dir)
	if err != nil {
		return nil, err
	}
	modCache := opts.ModCache
	if modCache == "" {
		if modCache, err = ModCache(); err != nil {
			return nil, err
		}
	}
	if err := checkModCache(modCache); err != nil {
		return nil, err
	}
	mods := opts.Modules
	if mods == nil {
		mods = m.BuildList()
	}
	goSum := make(map[module.Version]string)
	for _, l := range m.Sums {
		if !l.GoMod() {
			goSum[l.Module()] = l.Hash
		}
	}
	v := &verifier{ctx: ctx, modCache: modCache, mods: make([]*modState, 0, len(mods))}
	v.cond = sync.NewCond(&v.mu)
	for _, mv := range mods {
		if mv.Path == m.File.Module.Mod.Path || mv.Path == "go" || mv.Path == "toolchain" {
			continue // main and toolchain modules have nothing in the cache
		}
		v.mods = append(v.mods, &modState{mv: mv, out: ModuleVerdict{Path: mv.Path, Version: mv.Version, GoSum: goSum[mv]}})
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	v.run(workers)
	if err := ctx.Err(); err != nil {
		// Trees left unfinished still hold their zips.
		for _, ms := range v.mods {
			if t := ms.zip; t != nil && t.remaining.Load() > 0 && t.closer != nil {
				t.closer.Close()
			}
		}
		return nil, err
	}

	res := &CacheVerification{ModCache: modCache, Modules: make([]ModuleVerdict, len(v.mods))}
	var out strings.Builder
	for i, ms := range v.mods {
		res.Modules[i] = ms.out
		switch ms.out.Verdict {
		case VerdictVerified:
			res.Verified++
		case VerdictModified:
			res.Modified++
		case VerdictError:
			res.Errors++
		case VerdictNotDownloaded:
			res.NotDownloaded++
		}
		for _, e := range ms.out.Errors {
			out.WriteString(e + "\n")
		}
	}
	res.OK = out.Len() == 0
	if res.OK {
		out.WriteString("all modules verified\n")
	}
	res.Output = out.String()
	return res, nil
}

// A verifier schedules the work of one VerifyCache: preparing a module
// (reading its .ziphash, listing its zip and tree) and hashing single
// files. Files are taken before preparing more modules, so that only a
// few zips are open at once, and every worker stays busy to the end
// instead of one finishing the largest module alone, as happens when
// work is divided by module.
type verifier struct {
	ctx      context.Context
	modCache string
	mods     []*modState

	mu      sync.Mutex
	cond    *sync.Cond
	nextMod int        // next module to prepare
	files   []fileTask // files to hash, taken from the end
	busy    int        // workers running a task

	zipBufs bufPool
}

type fileTask struct {
	t *tree
	i int
}

// A modState is one module being verified.
type modState struct {
	mv        module.Version
	out       ModuleVerdict
	paths     cachePaths
	zip, dir  *tree
	zipErr    error // from opening the zip, or listing the tree
	dirErr    error
	remaining atomic.Int32 // trees not yet hashed
}

// A tree is the files of a zip or an extracted directory.
type tree struct {
	m         *modState
	names     []string
	open      func(i int) (io.ReadCloser, error)
	sums      []digest
	errs      []error
	remaining atomic.Int64
	closer    io.Closer
	dir       string // for an extracted tree: its directory, and the
	prefix    string // path@version its names start with
	sum       string
	err       error
}

func (v *verifier) run(workers int) {
	var wg sync.WaitGroup
	for range workers {
		wg.Go(v.work)
	}
	wg.Wait()
}

// work runs tasks until none are left.
func (v *verifier) work() {
	buf := make([]byte, 64<<10)
	h := sha256.New()
	v.mu.Lock()
	for {
		if v.ctx.Err() != nil {
			v.files, v.nextMod = nil, len(v.mods)
		}
		switch {
		case len(v.files) > 0:
			task := v.files[len(v.files)-1]
			v.files = v.files[:len(v.files)-1]
			v.busy++
			v.mu.Unlock()
			v.hashFile(task, h, buf)
			v.mu.Lock()
			v.busy--
		case v.nextMod < len(v.mods):
			ms := v.mods[v.nextMod]
			v.nextMod++
			v.busy++
			v.mu.Unlock()
			tasks := v.prepare(ms)
			v.mu.Lock()
			v.busy--
			if len(tasks) > 0 {
				v.files = append(v.files, tasks...)
				v.cond.Broadcast()
			}
		case v.busy > 0:
			v.cond.Wait() // a busy worker may add files
		default:
			v.cond.Broadcast()
			v.mu.Unlock()
			return
		}
	}
}

// prepare reads a module's .ziphash and lists its zip and tree,
// returning the files to hash. It follows verifyMod: a module neither
// zipped nor extracted has nothing to verify; otherwise its .ziphash
// must exist. A tree counts as extracted only when the go command
// finished extracting it (modfetch.DownloadDir): no .partial file, and
// a .ziphash beside it.
func (v *verifier) prepare(ms *modState) []fileTask {
	paths, err := pathsFor(v.modCache, ms.mv)
	if err != nil {
		ms.out.Verdict, ms.out.Errors = VerdictError, []string{fmt.Sprintf("%s %s: %v", ms.mv.Path, ms.mv.Version, err)}
		return nil
	}
	ms.paths = paths
	_, zipErr := os.Stat(paths.Zip)
	checkZip := zipErr == nil || !fileNotExist(zipErr)
	checkDir := extracted(paths)

	data, err := os.ReadFile(paths.ZipHash)
	if err != nil {
		if !checkZip && !checkDir {
			ms.out.Verdict = VerdictNotDownloaded
			return nil
		}
		ms.out.Verdict, ms.out.Errors = VerdictError, []string{fmt.Sprintf("%s %s: missing ziphash: %v", ms.mv.Path, ms.mv.Version, err)}
		return nil
	}
	ms.out.ZipHash = string(bytes.TrimSpace(data))

	if checkZip {
		if z, closer, err := openZip(paths.Zip, &v.zipBufs); err != nil {
			ms.zipErr = err
		} else {
			ms.zip = zipTree(ms, z, closer)
		}
	}
	if checkDir {
		prefix := ms.mv.Path + "@" + ms.mv.Version
		if files, err := dirFiles(paths.Dir, prefix); err != nil {
			ms.dirErr = err
		} else {
			ms.dir = dirTree(ms, paths.Dir, prefix, files)
		}
	}
	var tasks []fileTask
	var empty []*tree
	for _, t := range []*tree{ms.zip, ms.dir} {
		if t == nil {
			continue
		}
		ms.remaining.Add(1)
		if len(t.names) == 0 {
			empty = append(empty, t)
		}
		for i := range t.names {
			tasks = append(tasks, fileTask{t, i})
		}
	}
	if ms.remaining.Load() == 0 {
		v.finish(ms)
	}
	for _, t := range empty {
		v.treeDone(t)
	}
	return tasks
}

// extracted reports whether the go command would hash the module's
// extracted tree (modfetch.DownloadDir succeeding).
func extracted(p cachePaths) bool {
	if fi, err := os.Stat(p.Dir); err != nil || !fi.IsDir() {
		return false
	}
	if _, err := os.Stat(p.Partial); err == nil || !fileNotExist(err) {
		return false
	}
	_, err := os.Stat(p.ZipHash)
	return err == nil
}

// maxZipInMemory bounds the zips read whole into memory. Reading a zip
// whole takes a few large reads; through the file, the decompressor's
// 4 KiB buffer makes one pread per 4 KiB of every compressed file. The
// largest module zips in common use (cloud SDKs, Kubernetes) are tens of
// MiB; the go command refuses zips over 500 MiB (modzip.MaxZipFile).
const maxZipInMemory = 128 << 20

// A bufPool recycles the memory zips are read into: a fresh allocation
// per zip, tens of MiB over a module cache, would make the garbage
// collector run, and stop the hashing goroutines, over and over.
type bufPool struct {
	mu   sync.Mutex
	free [][]byte
}

// get returns a slice of length n, reusing a free one that is big enough.
func (p *bufPool) get(n int) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	best := -1
	for i, b := range p.free {
		if cap(b) >= n && (best < 0 || cap(b) < cap(p.free[best])) {
			best = i
		}
	}
	if best < 0 {
		return make([]byte, n)
	}
	b := p.free[best]
	p.free = append(p.free[:best], p.free[best+1:]...)
	return b[:n]
}

func (p *bufPool) put(b []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.free = append(p.free, b)
}

// pooled returns a buffer to its pool when closed.
type pooled struct {
	pool *bufPool
	buf  []byte
}

func (c pooled) Close() error {
	c.pool.put(c.buf)
	return nil
}

// openZip opens a module zip as dirhash.HashZip would, with the same
// errors, reading it into memory from pool when it is not too large.
func openZip(name string, pool *bufPool) (*zip.Reader, io.Closer, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if fi.Size() > maxZipInMemory {
		z, err := zip.NewReader(f, fi.Size())
		if err != nil {
			f.Close()
			return nil, nil, err
		}
		return z, f, nil
	}
	data := pool.get(int(fi.Size()))
	_, err = io.ReadFull(f, data)
	f.Close()
	if err != nil {
		pool.put(data)
		return nil, nil, err
	}
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		pool.put(data)
		return nil, nil, err
	}
	return z, pooled{pool, data}, nil
}

func zipTree(ms *modState, z *zip.Reader, closer io.Closer) *tree {
	// As in dirhash.HashZip: every entry is listed, but a name that
	// occurs twice is opened as its last entry.
	byName := make(map[string]*zip.File, len(z.File))
	names := make([]string, len(z.File))
	for i, f := range z.File {
		names[i] = f.Name
		byName[f.Name] = f
	}
	t := newTree(ms, names, func(i int) (io.ReadCloser, error) { return byName[names[i]].Open() })
	t.closer = closer
	return t
}

func dirTree(ms *modState, dir, prefix string, names []string) *tree {
	t := newTree(ms, names, nil)
	t.dir, t.prefix = dir, prefix
	return t
}

func newTree(ms *modState, names []string, open func(int) (io.ReadCloser, error)) *tree {
	t := &tree{m: ms, names: names, open: open, sums: make([]digest, len(names)), errs: make([]error, len(names))}
	t.remaining.Store(int64(len(names)))
	return t
}

// onlyReader hides an *os.File's WriteTo, whose generic fallback would
// allocate a 32 KiB buffer per file instead of using the worker's.
type onlyReader struct{ io.Reader }

func (v *verifier) hashFile(task fileTask, h hash.Hash, buf []byte) {
	t := task.t
	if t.dir != "" {
		name := filepath.Join(t.dir, strings.TrimPrefix(t.names[task.i], t.prefix))
		t.errs[task.i] = digestFile(name, h, buf, &t.sums[task.i])
		if t.remaining.Add(-1) == 0 {
			v.treeDone(t)
		}
		return
	}
	r, err := t.open(task.i)
	if err == nil {
		h.Reset()
		_, err = io.CopyBuffer(h, onlyReader{r}, buf)
		r.Close()
		h.Sum(t.sums[task.i][:0])
	}
	t.errs[task.i] = err
	if t.remaining.Add(-1) == 0 {
		v.treeDone(t)
	}
}

// treeDone combines a hashed tree's digests; the last tree of a module
// finishes the module.
func (v *verifier) treeDone(t *tree) {
	if t.closer != nil {
		t.closer.Close()
	}
	t.sum, t.err = hash1(t.names, sortedOrder(t.names), t.sums, t.errs)
	if t.m.remaining.Add(-1) == 0 {
		v.finish(t.m)
	}
}

// finish gives a module its verdict, in verifyMod's order: a zip that
// cannot be hashed ends the check; a modified zip does not.
func (v *verifier) finish(ms *modState) {
	o := &ms.out
	fail := func(err error) {
		o.Verdict, o.Errors = VerdictError, append(o.Errors, fmt.Sprintf("%s %s: %v", ms.mv.Path, ms.mv.Version, err))
	}
	o.GoSumMismatch = o.GoSum != "" && o.GoSum != o.ZipHash
	o.Verdict = VerdictVerified
	switch {
	case ms.zipErr != nil:
		fail(ms.zipErr)
		return
	case ms.zip != nil && ms.zip.err != nil:
		fail(ms.zip.err)
		return
	case ms.zip != nil:
		o.ZipSum = ms.zip.sum
		if o.ZipSum != o.ZipHash {
			o.Verdict = VerdictModified
			o.Errors = append(o.Errors, fmt.Sprintf("%s %s: zip has been modified (%v)", ms.mv.Path, ms.mv.Version, ms.paths.Zip))
		}
	}
	switch {
	case ms.dirErr != nil:
		fail(ms.dirErr)
	case ms.dir != nil && ms.dir.err != nil:
		fail(ms.dir.err)
	case ms.dir != nil:
		o.DirSum = ms.dir.sum
		if o.DirSum != o.ZipHash {
			o.Verdict = VerdictModified
			o.Errors = append(o.Errors, fmt.Sprintf("%s %s: dir has been modified (%v)", ms.mv.Path, ms.mv.Version, ms.paths.Dir))
			if ms.zip != nil && o.ZipSum == o.ZipHash {
				o.Files = diffTrees(ms.zip, ms.dir)
			}
		}
	}
}

// diffTrees names the files that differ between a zip and its tree.
func diffTrees(z, d *tree) []FileChange {
	zs := make(map[string]digest, len(z.names))
	for i, n := range z.names {
		zs[n] = z.sums[i]
	}
	var changes []FileChange
	seen := make(map[string]bool, len(d.names))
	for _, i := range sortedOrder(d.names) {
		n := d.names[i]
		seen[n] = true
		switch s, ok := zs[n]; {
		case !ok:
			changes = append(changes, FileChange{Name: n, Change: "added"})
		case s != d.sums[i]:
			changes = append(changes, FileChange{Name: n, Change: "modified"})
		}
	}
	for _, i := range sortedOrder(z.names) {
		if n := z.names[i]; !seen[n] {
			seen[n] = true
			changes = append(changes, FileChange{Name: n, Change: "missing"})
		}
	}
	return changes
}
