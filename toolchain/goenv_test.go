package toolchain

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nativego/nativego/internal/testenv"
)

func TestParseGOPROXY(t *testing.T) {
	tests := []struct {
		name, goproxy string
		want          []proxySpec
		wantErr       bool
	}{
		{name: "comma", goproxy: "https://a.test,https://b.test",
			want: []proxySpec{{URL: "https://a.test"}, {URL: "https://b.test"}}},
		{name: "pipe-falls-back-on-any-error", goproxy: "https://a.test|https://b.test",
			want: []proxySpec{{URL: "https://a.test", FallBackOnError: true}, {URL: "https://b.test"}}},
		{name: "direct-ends-the-list", goproxy: "https://a.test,direct,https://b.test",
			want: []proxySpec{{URL: "https://a.test"}, {URL: "direct"}}},
		{name: "off", goproxy: "off", want: []proxySpec{{URL: "off"}}},
		{name: "bare-host-gets-https", goproxy: "proxy.loopback.test/path",
			want: []proxySpec{{URL: "https://proxy.loopback.test/path"}}},
		{name: "spaces-trimmed-empties-skipped", goproxy: " http://127.0.0.1:8080 ,, file:///srv/proxy ",
			want: []proxySpec{{URL: "http://127.0.0.1:8080"}, {URL: "file:///srv/proxy"}}},
		{name: "nothing", goproxy: " , ", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseGOPROXY(tc.goproxy)
			if (err != nil) != tc.wantErr {
				t.Fatalf("parseGOPROXY(%q) error %v, want error %v", tc.goproxy, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parseGOPROXY(%q) mismatch (-want +got):\n%s", tc.goproxy, diff)
			}
		})
	}
}

// TestGoEnvPrecedence compares goEnv with the go command itself under
// each layer of configuration: process environment, user env file
// written by go env -w, GOENV=off, and the go command's defaults.
func TestGoEnvPrecedence(t *testing.T) {
	goTool := testenv.GoTool(t)
	envFile := filepath.Join(t.TempDir(), "env")
	tests := []struct {
		name  string
		env   map[string]string
		write string // a go env -w assignment, made first
	}{
		{name: "defaults", env: map[string]string{"GOENV": envFile, "GOPROXY": "", "GOSUMDB": ""}},
		{name: "user-file", env: map[string]string{"GOENV": envFile, "GOPROXY": "", "GOSUMDB": ""},
			write: "GOPROXY=http://127.0.0.1:1/user|direct"},
		{name: "environment-wins", env: map[string]string{"GOENV": envFile, "GOPROXY": "http://127.0.0.1:1/env", "GOSUMDB": "off"},
			write: "GOPROXY=http://127.0.0.1:1/user"},
		{name: "goenv-off", env: map[string]string{"GOENV": "off", "GOPROXY": "", "GOSUMDB": ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(envFile)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			t.Setenv("GOFLAGS", "")
			t.Setenv("GOTOOLCHAIN", "local")
			if tc.write != "" {
				testenv.Run(t, testenv.GoCommand(t, "env", "-w", tc.write))
			}
			for _, key := range []string{"GOPROXY", "GOSUMDB"} {
				cmd := testenv.GoCommand(t, "env", key)
				cmd.Path = goTool
				want := strings.TrimSpace(string(testenv.Run(t, cmd)))
				got, err := setting(t.Context(), key)
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("setting(%s) = %q, go env says %q", key, got, want)
				}
			}
		})
	}
}

// TestGoSumDBOff checks that GOSUMDB=off still verifies, against the go
// command's default database, and says so.
func TestGoSumDBOff(t *testing.T) {
	cmd := testenv.GoCommand(t, "env", "GOSUMDB")
	cmd.Env = append(os.Environ(), "GOENV=off", "GOSUMDB=")
	defaultName := strings.TrimSpace(string(testenv.Run(t, cmd)))
	cfg, note, err := resolveSumDB(t.Context(), VerifyOptions{GOSUMDB: "off"})
	if err != nil || cfg.Name != defaultName || note == "" {
		t.Errorf("resolveSumDB(GOSUMDB=off) = %+v, %q, %v; want the default %s with a note", cfg, note, err, defaultName)
	}

	// The defaults come from the go command; one naming a database whose
	// key is not the pinned one must not pair with it.
	saved := goDefaults
	t.Cleanup(func() { goDefaults = saved })
	goDefaults = func(context.Context) (map[string]string, error) {
		return map[string]string{"GOSUMDB": "db.loopback.test"}, nil
	}
	if cfg, _, err := resolveSumDB(t.Context(), VerifyOptions{GOSUMDB: "off"}); err == nil {
		t.Errorf("resolveSumDB with a default of db.loopback.test = %+v; want an error", cfg)
	}
}
