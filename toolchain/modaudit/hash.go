package modaudit

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
)

// A digest is the SHA-256 of one file's content.
type digest [sha256.Size]byte

// hash1 combines per-file digests into an "h1:" hash exactly as
// golang.org/x/mod/sumdb/dirhash.Hash1 does: the SHA-256 of the lines
// "<hex sha256>  <name>\n" sorted by name. dirhash.Hash1 opens and hashes
// each file of a tree in turn; computing the per-file digests first lets
// the files of every tree be hashed in parallel, and lets a modified
// tree be compared file by file with its zip. The tests check that the
// two agree on every module of a real module cache.
//
// order is the names' indexes sorted by name; err, when not nil, is the
// error of the first file in that order whose digest could not be
// computed, which dirhash.Hash1 would have returned.
func hash1(names []string, order []int, sums []digest, errs []error) (string, error) {
	h := sha256.New()
	var line []byte
	for _, i := range order {
		if strings.Contains(names[i], "\n") {
			return "", errNewline
		}
		if errs != nil && errs[i] != nil {
			return "", errs[i]
		}
		line = hex.AppendEncode(line[:0], sums[i][:])
		line = append(line, "  "...)
		line = append(line, names[i]...)
		line = append(line, '\n')
		h.Write(line)
	}
	return "h1:" + base64.StdEncoding.EncodeToString(h.Sum(nil)), nil
}

// errNewline is dirhash.Hash1's error, word for word.
var errNewline = errors.New("dirhash: filenames with newlines are not supported")

// sortedOrder returns the indexes of names sorted by name, stably, as
// dirhash.Hash1's slices.Sort orders them.
func sortedOrder(names []string) []int {
	idx := make([]int, len(names))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return strings.Compare(names[a], names[b]) })
	return idx
}
