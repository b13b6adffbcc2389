package goenv

import (
	"errors"
	"fmt"
	"strings"
)

// SplitQuoted splits s into words the way the go command splits GOFLAGS,
// CC and CGO_CFLAGS (cmd/internal/quoted.Split): words are separated by
// spaces, tabs, carriage returns and newlines; a word that starts with a
// single or double quote runs to the next such quote, which is removed.
// There is no escaping, and a quote inside a word is an ordinary
// character — so -ldflags='-s -w' is the two words "-ldflags='-s" and
// "-w'", the cause of golang/go#51194.
func SplitQuoted(s string) ([]string, error) {
	var words []string
	for {
		s = strings.TrimLeft(s, " \t\r\n")
		if s == "" {
			return words, nil
		}
		if q := s[0]; q == '"' || q == '\'' {
			end := strings.IndexByte(s[1:], q)
			if end < 0 {
				return nil, fmt.Errorf("unterminated %c string", q)
			}
			words = append(words, s[1:1+end])
			s = s[2+end:]
			continue
		}
		end := strings.IndexAny(s, " \t\r\n")
		if end < 0 {
			end = len(s)
		}
		words = append(words, s[:end])
		s = s[end:]
	}
}

var errBothQuotes = errors.New("a word contains both single and double quotes and cannot be quoted")

// JoinQuoted is the inverse of SplitQuoted (cmd/internal/quoted.Join):
// words without spaces or quotes stay as they are, others are wrapped in
// single quotes, or double quotes when they contain a single quote.
func JoinQuoted(words []string) (string, error) {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		space := strings.ContainsAny(w, " \t\r\n")
		single := strings.ContainsRune(w, '\'')
		double := strings.ContainsRune(w, '"')
		switch {
		case !space && !single && !double:
			b.WriteString(w)
		case !single:
			b.WriteString("'" + w + "'")
		case !double:
			b.WriteString(`"` + w + `"`)
		default:
			return "", errBothQuotes
		}
	}
	return b.String(), nil
}
