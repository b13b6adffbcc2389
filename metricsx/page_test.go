package metricsx

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestPageServesDataForTwoProcesses(t *testing.T) {
	remoteSrv := httptest.NewServer(Handler(HandlerOptions{}))
	defer remoteSrv.Close()
	page := &Page{Local: &Sampler{}, Remote: &Sampler{Source: HTTPSource(remoteSrv.Client(), remoteSrv.URL)}, RemoteName: "twin"}
	for range 4 {
		page.Local.Sample(t.Context())
		page.Remote.Sample(t.Context())
	}
	srv := httptest.NewServer(page)
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/?data")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d PageData
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	if len(d.Series) != 2 || d.Series[0].Role != "local" || d.Series[1].Name != "twin" {
		t.Fatalf("series = %+v", d.Series)
	}
	for _, s := range d.Series {
		if len(s.Time) != 3 || len(s.HeapBytes) != 3 || len(s.GCPauseP99) != 3 || s.GOARCH == "" {
			t.Errorf("series %s: %d times, %d heap values, goarch %q; want 3 windows", s.Name, len(s.Time), len(s.HeapBytes), s.GOARCH)
		}
	}
}

// TestPageIsSelfContained checks that the page loads nothing from other
// hosts: no script, style, font or image URLs outside itself.
func TestPageIsSelfContained(t *testing.T) {
	srv := httptest.NewServer(&Page{})
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q", ct)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	// The SVG namespace is a name, not something fetched.
	const svgNS = "http://www.w3.org/2000/svg"
	if !strings.Contains(string(body), svgNS) {
		t.Error("page does not create SVG elements")
	}
	body = []byte(strings.ReplaceAll(string(body), svgNS, ""))
	external := regexp.MustCompile(`(?i)(src|href)\s*=|@import|url\(|//[a-z0-9.-]+\.[a-z]{2,}/`)
	for _, m := range external.FindAll(body, -1) {
		t.Errorf("page refers to something outside itself: %s", m)
	}
}

func TestPageRejectsPost(t *testing.T) {
	rec := httptest.NewRecorder()
	(&Page{}).ServeHTTP(rec, httptest.NewRequest("POST", "/", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", rec.Code)
	}
}
