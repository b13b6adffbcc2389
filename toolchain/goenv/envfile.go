package goenv

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// An EnvFile is a parsed go env file: the user's file written by "go env
// -w", or a GOROOT's go.env.
type EnvFile struct {
	Name     string    // the file's path, used in messages and origins only
	Settings []Setting // in file order; a key may repeat, the last one wins
}

// A Setting is one KEY=VALUE line of an env file.
type Setting struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	Line  int    `json:"line"` // 1-based
}

// Lookup returns the last setting of key in f, as the go command would
// use it.
func (f *EnvFile) Lookup(key string) (Setting, bool) {
	if f == nil {
		return Setting{}, false
	}
	for i := len(f.Settings) - 1; i >= 0; i-- {
		if f.Settings[i].Key == key {
			return f.Settings[i], true
		}
	}
	return Setting{}, false
}

// MaxEnvFileSize bounds the env files ReadEnvFile reads. "go env -w"
// writes a few hundred bytes; the go command itself reads any size, but a
// file of a megabyte is not a go env file anyone meant to write.
const MaxEnvFileSize = 1 << 20

// ParseEnvFile parses an env file exactly as the go command does
// (cmd/go/internal/cfg.readEnvFile): lines split at '\n' only, the key
// before the first '=', nothing trimmed or unquoted, and lines without
// '=' or not starting with an upper-case ASCII letter ignored, which skips
// blank lines and comments. name is used in the result only.
//
// Because nothing is trimmed, a line "GOPROXY = direct" sets a key
// "GOPROXY " that the go command never reads, and "GOFLAGS=-mod=mod\r"
// keeps its carriage return: the lint reports both.
func ParseEnvFile(name string, data []byte) *EnvFile {
	f := &EnvFile{Name: name}
	for n := 1; len(data) > 0; n++ {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		i := bytes.IndexByte(line, '=')
		if i < 0 || line[0] < 'A' || 'Z' < line[0] {
			continue
		}
		f.Settings = append(f.Settings, Setting{Key: string(line[:i]), Value: string(line[i+1:]), Line: n})
	}
	return f
}

// ReadEnvFile reads and parses the named env file. A missing file is an
// error wrapping fs.ErrNotExist; a file over MaxEnvFileSize is a
// *FileError.
func ReadEnvFile(name string) (*EnvFile, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxEnvFileSize+1))
	if err != nil {
		return nil, &FileError{Name: name, Err: err}
	}
	if len(data) > MaxEnvFileSize {
		return nil, &FileError{Name: name, Err: fmt.Errorf("larger than %d bytes", MaxEnvFileSize)}
	}
	return ParseEnvFile(name, data), nil
}
