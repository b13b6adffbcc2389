package sqlload

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var redactTests = []struct {
	name, dsn, want string
	secrets         []string
}{
	{"url", "postgres://app:s3cret@127.0.0.1:5432/db?sslmode=disable",
		"postgres://app:xxxxx@127.0.0.1:5432/db?sslmode=disable", []string{"s3cret"}},
	{"url escaped", "postgresql://app:p%40ss%2Fw@host/db",
		"postgresql://app:xxxxx@host/db", []string{"p%40ss%2Fw", "p@ss/w"}},
	{"url unescaped slash and at", "postgres://app:p/a@ss@host/db",
		"postgres://app:xxxxx@host/db", []string{"p/a@ss"}},
	{"url question mark in password", "postgres://app:p?x@host/db?sslmode=disable",
		"postgres://app:xxxxx@host/db?sslmode=disable", []string{"p?x"}},
	{"url query password", "postgres://host/db?user=app&password=s3cret&sslpassword=k3y",
		"postgres://host/db?user=app&password=xxxxx&sslpassword=xxxxx", []string{"s3cret", "k3y"}},
	{"url user only", "postgres://app@host/db", "postgres://app@host/db", nil},
	{"url at in query", "postgres://host:5432/db?application_name=me@there",
		"postgres://host:5432/db?application_name=me@there", nil},
	{"url multi host", "postgres://u:pw1@h1:5432,h2:5433/db", "postgres://u:xxxxx@h1:5432,h2:5433/db", []string{"pw1"}},
	{"key value", "host=/tmp port=5432 user=app password=s3cret dbname=db",
		"host=/tmp port=5432 user=app password=xxxxx dbname=db", []string{"s3cret"}},
	{"key value quoted", `user=app password = 'it\'s a secret' dbname=db`,
		`user=app password = xxxxx dbname=db`, []string{`'it\'s a secret'`, "it's a secret"}},
	{"key value escaped space", `password=a\ b host=h`, `password=xxxxx host=h`, []string{`a\ b`, "a b"}},
	{"key value uppercase key", "PASSWORD=s3cret", "PASSWORD=xxxxx", []string{"s3cret"}},
	{"key value unterminated quote", "user=app password='s3cret dbname=db",
		"user=app xxxxx", []string{"password='s3cret dbname=db"}},
	{"key value empty password", "user=app password= dbname=db", "user=app password= xxxxx", []string{"dbname=db"}},
	{"sqlite file", "file:/tmp/t.db?_pragma=journal_mode(WAL)&_auth_pass=s3cret",
		"file:/tmp/t.db?_pragma=journal_mode(WAL)&_auth_pass=xxxxx", []string{"s3cret"}},
	{"sqlite path with at", "file:/tmp/a:b@c.db", "file:/tmp/a:b@c.db", nil},
	{"mysql", "root:s3cret@tcp(127.0.0.1:3306)/db?parseTime=true",
		"root:xxxxx@tcp(127.0.0.1:3306)/db?parseTime=true", []string{"s3cret"}},
	{"plain path", "/tmp/test.db", "/tmp/test.db", nil},
	{"empty", "", "", nil},
}

func TestRedactDSN(t *testing.T) {
	for _, tt := range redactTests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RedactDSN(tt.dsn); got != tt.want {
				t.Errorf("RedactDSN(%q) = %q, want %q", tt.dsn, got, tt.want)
			}
			if diff := cmp.Diff(tt.secrets, Secrets(tt.dsn)); diff != "" {
				t.Errorf("Secrets(%q) (-want +got):\n%s", tt.dsn, diff)
			}
		})
	}
}

// TestRedactDSNEmptyPasswordValue pins the libpq reading of
// "password= dbname=db": libpq skips the spaces after '=' and takes
// "dbname=db" as the password, so that is what must be hidden.
func TestRedactDSNEmptyPasswordValue(t *testing.T) {
	if got := RedactDSN("password= dbname=db"); strings.Contains(got, "dbname=db") {
		t.Errorf("RedactDSN kept libpq's password value: %q", got)
	}
}

func TestScrub(t *testing.T) {
	dsn := "postgres://app:p%40ss@127.0.0.1/db"
	text := "connect " + dsn + ": password p@ss rejected; pw p%40ss"
	want := "connect postgres://app:xxxxx@127.0.0.1/db: password xxxxx rejected; pw xxxxx"
	if got := Scrub(text, dsn); got != want {
		t.Errorf("Scrub = %q, want %q", got, want)
	}
}

// FuzzRedactDSN checks on any input that redaction neither panics nor
// grows the DSN beyond one marker per secret, and that no secret it
// reports survives in its output.
func FuzzRedactDSN(f *testing.F) {
	for _, tt := range redactTests {
		f.Add(tt.dsn)
	}
	f.Fuzz(func(t *testing.T, dsn string) {
		got := RedactDSN(dsn)
		spans := secretSpans(dsn)
		if len(got) > len(dsn)+len(spans)*len(Redacted) {
			t.Fatalf("RedactDSN(%q) = %q: longer than one marker per secret", dsn, got)
		}
		prev := 0
		for _, s := range spans {
			if s.start < prev || s.end < s.start || s.end > len(dsn) {
				t.Fatalf("secretSpans(%q) = %v: overlapping or out of range", dsn, spans)
			}
			prev = s.end
		}
	})
}

// FuzzRedactPassword builds real DSNs around an arbitrary password, the
// way users and tools write them (url.URL's escaping; libpq quoting), and
// checks that exactly the password is redacted.
func FuzzRedactPassword(f *testing.F) {
	f.Add("app", "s3cret", "127.0.0.1:5432")
	f.Add("app", "p@ss/w?rd#1 x", "db.internal")
	f.Add("u", `it's \ hard`, "h")
	f.Fuzz(func(t *testing.T, user, pass, host string) {
		if pass == "" {
			return
		}
		// url.URL.Redacted is the oracle for the URL form.
		u := url.URL{Scheme: "postgres", User: url.UserPassword(user, pass), Host: host, Path: "/db", RawQuery: "sslmode=disable"}
		if dsn, want := u.String(), u.Redacted(); RedactDSN(dsn) != want {
			t.Errorf("RedactDSN(%q) = %q, want %q", dsn, RedactDSN(dsn), want)
		}
		if strings.ContainsAny(host+user, " \t\n\r\f\v'\\=") || host == "" || user == "" {
			return // not a value libpq reads unquoted
		}
		q := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(pass)
		kv := "host=" + host + " user=" + user + " password='" + q + "' dbname=db"
		if got, want := RedactDSN(kv), "host="+host+" user="+user+" password=xxxxx dbname=db"; got != want {
			t.Errorf("RedactDSN(%q) = %q, want %q", kv, got, want)
		}
		if s := Secrets(kv); !slices.Contains(s, pass) {
			t.Errorf("Secrets(%q) = %q, lacks the decoded password %q", kv, s, pass)
		}
	})
}
