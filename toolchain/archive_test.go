package toolchain

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nativego/nativego/internal/testenv"
)

// archiveUnderTest links a real release file (the darwin/arm64 toolchain
// module zip) under a download-page file name, and returns its path, its
// SHA-256 as sha256sum reports it, and its size.
func archiveUnderTest(t *testing.T) (path, sum string, size int64) {
	t.Helper()
	d := download(t, testenv.OfficialVersion, "darwin", "arm64")
	path = filepath.Join(t.TempDir(), testenv.OfficialVersion+".darwin-arm64.zip")
	if err := linkOrCopy(d.Zip, path); err != nil {
		t.Fatal(err)
	}
	tool, err := exec.LookPath("sha256sum")
	if err != nil {
		t.Skipf("sha256sum, the oracle, not found: %v", err)
	}
	out := testenv.Run(t, exec.CommandContext(t.Context(), tool, path))
	sum, _, _ = strings.Cut(string(out), " ")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, sum, fi.Size()
}

// serveManifest serves releases as the download page's JSON list from a
// loopback server and returns the response body.
func serveManifest(t *testing.T, releases []Release) *http.Response {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("mode") != "json" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(releases)
	}))
	t.Cleanup(srv.Close)
	resp, err := srv.Client().Get(srv.URL + "/dl/?mode=json&include=all")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestVerifyArchive(t *testing.T) {
	path, sum, size := archiveUnderTest(t)
	name := filepath.Base(path)
	entry := func(sha string, size int64) []Release {
		return []Release{
			{Version: "go1.26.8", Stable: true, Files: []ReleaseFile{
				{Filename: "go1.26.8.src.tar.gz", Version: "go1.26.8", SHA256: strings.Repeat("0", 64), Size: 1, Kind: "source"},
			}},
			{Version: testenv.OfficialVersion, Stable: true, Files: []ReleaseFile{
				{Filename: name, OS: "darwin", Arch: "arm64", Version: testenv.OfficialVersion, SHA256: sha, Size: size, Kind: "archive"},
			}},
		}
	}
	flipped := []byte(sum) // another valid hex digest
	if flipped[0] == '0' {
		flipped[0] = '1'
	} else {
		flipped[0] = '0'
	}
	tests := []struct {
		name     string
		releases []Release
		want     ArchiveVerification
	}{
		{
			name:     "match",
			releases: entry(strings.ToUpper(sum), size),
			want: ArchiveVerification{Status: StatusOK, File: name, Version: testenv.OfficialVersion, OS: "darwin", Arch: "arm64",
				Kind: "archive", Expected: sum, Got: sum, ExpectedSize: size, Size: size},
		},
		{
			name:     "digest-differs",
			releases: entry(string(flipped), size),
			want: ArchiveVerification{Status: StatusMismatch, File: name, Version: testenv.OfficialVersion, OS: "darwin", Arch: "arm64",
				Kind: "archive", Expected: string(flipped), Got: sum, ExpectedSize: size, Size: size},
		},
		{
			name:     "size-differs",
			releases: entry(sum, size+1),
			want: ArchiveVerification{Status: StatusMismatch, File: name, Version: testenv.OfficialVersion, OS: "darwin", Arch: "arm64",
				Kind: "archive", Expected: sum, Got: sum, ExpectedSize: size + 1, Size: size, SizeMismatch: true},
		},
		{
			name:     "not-listed",
			releases: entry(sum, size)[:1],
			want:     ArchiveVerification{Status: StatusNotVerifiable, File: name, Got: sum, Size: size},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := serveManifest(t, tc.releases)
			got, err := VerifyArchive(t.Context(), path, resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&tc.want, got); diff != "" {
				t.Errorf("VerifyArchive mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadManifestErrors(t *testing.T) {
	tests := []struct{ name, input string }{
		{"not-json", "<html>"},
		{"object-not-array", `{"version":"go1.27.3"}`},
		{"truncated", `[{"version":"go1.27.3","files":[`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if rels, err := ReadManifest(strings.NewReader(tc.input)); err == nil {
				t.Errorf("ReadManifest(%q) = %+v; want an error", tc.input, rels)
			}
		})
	}
	big := bytes.Repeat([]byte(" "), maxManifest+10)
	if _, err := ReadManifest(bytes.NewReader(big)); err == nil || !strings.Contains(err.Error(), "larger") {
		t.Errorf("ReadManifest of %d spaces: %v; want a size error", len(big), err)
	}
}
