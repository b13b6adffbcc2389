package toolchain

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// A Release is one entry of the Go download page's JSON list
// (the download page with ?mode=json&include=all): a Go version and the
// files published for it.
type Release struct {
	Version string        `json:"version"` // "go1.27.3"
	Stable  bool          `json:"stable"`
	Files   []ReleaseFile `json:"files"`
}

// A ReleaseFile is one published file of a Release.
type ReleaseFile struct {
	Filename string `json:"filename"` // "go1.27.3.darwin-arm64.tar.gz"
	OS       string `json:"os"`       // empty for the source archive
	Arch     string `json:"arch"`
	Version  string `json:"version"`
	SHA256   string `json:"sha256"` // hex
	Size     int64  `json:"size"`
	Kind     string `json:"kind"` // "archive", "installer" or "source"
}

// An ArchiveVerification is what VerifyArchive found.
type ArchiveVerification struct {
	// Status is StatusOK when digest and size match, StatusMismatch when
	// either differs, StatusNotVerifiable when the manifest does not list
	// the file's name.
	Status  VerifyStatus `json:"status"`
	File    string       `json:"file"` // the base name matched against the manifest
	Version string       `json:"version,omitempty"`
	OS      string       `json:"os,omitempty"`
	Arch    string       `json:"arch,omitempty"`
	Kind    string       `json:"kind,omitempty"`

	Expected string `json:"expected,omitempty"` // SHA-256 from the manifest, hex
	Got      string `json:"got"`                // SHA-256 of the file, hex

	ExpectedSize int64 `json:"expected_size,omitempty"`
	Size         int64 `json:"size"`

	// SizeMismatch is set when the sizes differ; the digests then
	// differ too, but a short file usually means an interrupted download.
	SizeMismatch bool `json:"size_mismatch,omitempty"`
}

// maxManifest bounds the JSON list read by VerifyArchive. The complete
// list of every Go release is a few megabytes; 64 MiB leaves room for
// decades of releases while refusing an endless stream.
const maxManifest = 64 << 20

// ReadManifest decodes the Go download page's JSON list from r, reading at
// most 64 MiB.
func ReadManifest(r io.Reader) ([]Release, error) {
	lr := &io.LimitedReader{R: r, N: maxManifest + 1}
	var rels []Release
	if err := json.NewDecoder(lr).Decode(&rels); err != nil {
		if lr.N <= 0 {
			return nil, fmt.Errorf("release list larger than %d bytes", maxManifest)
		}
		return nil, fmt.Errorf("release list: %w", err)
	}
	return rels, nil
}

// VerifyArchive checks a downloaded Go archive or installer (such as
// go1.27.3.darwin-arm64.pkg) against manifest, the Go download page's
// JSON list: the file is matched by its base name, and its size and
// SHA-256 compared with the list's. The error is non-nil only when the
// file or the list cannot be read.
func VerifyArchive(ctx context.Context, path string, manifest io.Reader) (*ArchiveVerification, error) {
	rels, err := ReadManifest(manifest)
	if err != nil {
		return nil, err
	}
	av := &ArchiveVerification{File: filepath.Base(path)}
	var want *ReleaseFile
	for i := range rels {
		for j := range rels[i].Files {
			if rels[i].Files[j].Filename == av.File {
				want = &rels[i].Files[j]
			}
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, onlyReader{ctxReader{ctx, f}})
	if err != nil {
		return nil, err
	}
	av.Got, av.Size = hex.EncodeToString(h.Sum(nil)), n
	if want == nil {
		av.Status = StatusNotVerifiable
		return av, nil
	}
	av.Version, av.OS, av.Arch, av.Kind = want.Version, want.OS, want.Arch, want.Kind
	av.Expected, av.ExpectedSize = strings.ToLower(want.SHA256), want.Size
	av.SizeMismatch = want.Size != 0 && want.Size != n
	av.Status = StatusOK
	if av.SizeMismatch || av.Got != av.Expected {
		av.Status = StatusMismatch
	}
	return av, nil
}

// ctxReader stops reading when ctx is done, so that hashing a large
// installer can be cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
