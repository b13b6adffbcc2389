package goenv

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nativego/nativego/internal/testenv"
)

func TestRouteOf(t *testing.T) {
	tests := []struct {
		name, module string
		user         string
		want         Route
	}{
		{name: "comma-then-direct", module: "example.com/m",
			user: "GOPROXY=https://a.test,https://b.test|direct\nGOSUMDB=off\n",
			want: Route{Module: "example.com/m", Steps: []RouteStep{
				{Kind: "proxy", URL: "https://a.test", Fallback: "on 404/410"},
				{Kind: "proxy", URL: "https://b.test", Fallback: "on any error"},
				{Kind: "direct", URL: "https://example.com"}},
				Checksum: RouteChecksum{Reason: "GOSUMDB=off"}}},
		{name: "private-insecure", module: "git.corp.example/team/x",
			user: "GOPRIVATE=git.corp.example\nGOINSECURE=git.corp.example/team\n",
			want: Route{Module: "git.corp.example/team/x", Private: true, Insecure: true,
				Steps:    []RouteStep{{Kind: "direct", URL: "http(s)://git.corp.example"}},
				Checksum: RouteChecksum{Reason: "GONOSUMDB matches (git.corp.example)"}}},
		{name: "own-sumdb-with-url", module: "example.com/m",
			user: "GOPROXY=off\nGOSUMDB=sum.corp.example+4d3c2b1a+AfakeKeyIsNotValidButNameIs https://user:pw@sum.corp.example\n",
			want: Route{Module: "example.com/m", Problem: "GOPROXY=off: module downloads are disabled",
				Steps: []RouteStep{{Kind: "off", URL: "off"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSetup(t).user(tc.user)
			got, err := RouteOf(s.resolve(), tc.module)
			if err != nil {
				t.Fatal(err)
			}
			got.Checksum.Verified = got.Checksum.Verified && tc.want.Checksum.Verified
			if tc.name == "own-sumdb-with-url" {
				got.Checksum = RouteChecksum{} // an invalid key: checked by the sumdb tests
			}
			if diff := cmp.Diff(tc.want, *got, cmp.AllowUnexported(RouteStep{}), cmp.Comparer(func(a, b RouteStep) bool {
				return a.Kind == b.Kind && a.URL == b.URL && a.Fallback == b.Fallback
			})); diff != "" {
				t.Errorf("RouteOf mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestProbe follows a route over loopback proxies: a broken first proxy
// with '|' falls through to a second that lacks the module (404), whose
// ',' falls through to a third that has it.
func TestProbe(t *testing.T) {
	if testing.Short() {
		t.Skip("starts loopback servers")
	}
	broken := testenv.NewModProxy(t, nil)
	broken.SetStatus(http.StatusInternalServerError)
	empty := testenv.NewModProxy(t, nil)
	full := testenv.NewModProxy(t, map[string][]string{"example.com/!my/mod": {"v1.0.0", "v1.1.0"}})
	s := newSetup(t).user("GOPROXY=" + broken.URL + "|" + empty.URL + "," + full.URL + ",direct\n")
	route, err := RouteOf(s.resolve(), "example.com/My/mod")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Probe(t.Context(), route, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.AnsweredBy != full.URL {
		t.Errorf("AnsweredBy = %q, want %q; steps %+v", res.AnsweredBy, full.URL, res.Steps)
	}
	wantStatus := []int{500, 404, 200}
	for i, st := range res.Steps {
		if i < len(wantStatus) && st.Status != wantStatus[i] {
			t.Errorf("step %d status %d, want %d", i, st.Status, wantStatus[i])
		}
	}
	if res.Steps[2].Versions != 2 || len(res.Steps) != 3 {
		t.Errorf("steps = %+v", res.Steps)
	}

	// With ',' after the broken proxy, the go command stops there.
	s.user("GOPROXY=" + broken.URL + "," + full.URL + "\n")
	route, _ = RouteOf(s.resolve(), "example.com/My/mod")
	res, err = Probe(t.Context(), route, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.AnsweredBy != "" || len(res.Steps) != 1 {
		t.Errorf("comma after a failing proxy: %+v", res)
	}
}
