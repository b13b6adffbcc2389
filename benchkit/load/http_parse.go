package load

import (
	"bufio"
	"bytes"
	"io"
)

// HTTP/1.1 response parsing, as little as a load generator needs
// (RFC 9112): the status code, where the body ends (Content-Length,
// chunked transfer coding, or the connection's close), and whether the
// connection may be reused. Headers are compared in place, never copied.

// Limits on what a response may hold before the parser gives up. A
// generator reads whatever the server sends, so these bound time, not
// memory: lines are read within the bufio.Reader's buffer, bodies are
// discarded as they arrive.
const (
	maxHeaderLines  = 256            // net/http's server allows 1 MiB of headers; 256 lines is plenty for a response
	maxInformation  = 8              // 1xx responses before the final one
	maxChunkSizeHex = 16             // a 64-bit chunk size
	maxBody         = int64(1 << 62) // no real body is larger; keeps sums below overflow
)

// response is what readResponse learned.
type response struct {
	status    int
	keepAlive bool // the connection may carry another request
}

// readResponse reads one HTTP/1.x response from br, discarding its body.
// head says the request was HEAD, whose response has no body whatever its
// headers say.
func readResponse(br *bufio.Reader, head bool) (response, error) {
	for range maxInformation + 1 {
		resp, err := readOne(br, head)
		if err != nil || resp.status >= 200 || resp.status == 101 {
			return resp, err
		}
		// An interim response (100 Continue, 103 Early Hints): the real one follows.
	}
	return response{}, &ProtocolError{"too many 1xx responses"}
}

func readOne(br *bufio.Reader, head bool) (response, error) {
	line, err := readLine(br)
	if err != nil {
		return response{}, err
	}
	// "HTTP/1.1 200 OK": version, space, three digits, then a space or the end.
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' ||
		(len(line) > 12 && line[12] != ' ') {
		return response{}, &ProtocolError{"bad status line"}
	}
	status := 0
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return response{}, &ProtocolError{"bad status code"}
		}
		status = status*10 + int(c-'0')
	}
	if status < 100 {
		return response{}, &ProtocolError{"bad status code"}
	}
	resp := response{status: status, keepAlive: line[7] == '1'} // HTTP/1.1 keeps alive by default, 1.0 does not
	contentLength := int64(-1)
	chunked := false
	for n := 0; ; n++ {
		if n == maxHeaderLines {
			return resp, &ProtocolError{"too many header lines"}
		}
		line, err := readLine(br)
		if err != nil {
			return resp, err
		}
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return resp, &ProtocolError{"header line without a colon"}
		}
		value = bytes.TrimSpace(value)
		switch {
		case asciiEqualFold(name, "content-length"):
			v, ok := parseDecimal(value)
			if !ok || (contentLength >= 0 && v != contentLength) {
				return resp, &ProtocolError{"bad Content-Length"}
			}
			contentLength = v
		case asciiEqualFold(name, "transfer-encoding"):
			// Only "chunked" may be last; anything else means read to close (RFC 9112 §6.3).
			chunked = hasTokenSuffix(value, "chunked")
			if !chunked {
				resp.keepAlive = false
				contentLength = -1
			}
		case asciiEqualFold(name, "connection"):
			if hasToken(value, "close") {
				resp.keepAlive = false
			} else if hasToken(value, "keep-alive") {
				resp.keepAlive = true
			}
		}
	}
	if head || status < 200 || status == 204 || status == 304 {
		return resp, nil
	}
	switch {
	case chunked:
		return resp, readChunked(br)
	case contentLength >= 0:
		return resp, discard(br, contentLength)
	default:
		// The body runs to the connection's end.
		resp.keepAlive = false
		_, err := io.Copy(io.Discard, br)
		return resp, err
	}
}

// readLine returns the next line without its CRLF (or bare LF). The line
// is valid until the next read from br.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		return nil, &ProtocolError{"line longer than the read buffer"}
	}
	if err != nil {
		if err == io.EOF && len(line) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	line = line[:len(line)-1]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line, nil
}

func readChunked(br *bufio.Reader) error {
	for {
		line, err := readLine(br)
		if err != nil {
			return eofIsUnexpected(err)
		}
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i] // chunk extensions
		}
		line = bytes.TrimRight(line, " \t")
		if len(line) == 0 || len(line) > maxChunkSizeHex {
			return &ProtocolError{"bad chunk size"}
		}
		var size int64
		for _, c := range line {
			var d byte
			switch {
			case '0' <= c && c <= '9':
				d = c - '0'
			case 'a' <= c && c <= 'f':
				d = c - 'a' + 10
			case 'A' <= c && c <= 'F':
				d = c - 'A' + 10
			default:
				return &ProtocolError{"bad chunk size"}
			}
			if size > (maxBody-int64(d))/16 {
				return &ProtocolError{"chunk too large"}
			}
			size = size*16 + int64(d)
		}
		if size == 0 {
			// Trailer fields, then the empty line.
			for range maxHeaderLines {
				line, err := readLine(br)
				if err != nil {
					return eofIsUnexpected(err)
				}
				if len(line) == 0 {
					return nil
				}
			}
			return &ProtocolError{"too many trailer lines"}
		}
		if err := discard(br, size); err != nil {
			return err
		}
		line, err = readLine(br)
		if err != nil {
			return eofIsUnexpected(err)
		}
		if len(line) != 0 {
			return &ProtocolError{"chunk data longer than its size"}
		}
	}
}

func discard(br *bufio.Reader, n int64) error {
	for n > 0 {
		step := int(min(n, 1<<30))
		d, err := br.Discard(step)
		n -= int64(d)
		if err != nil {
			return eofIsUnexpected(err)
		}
	}
	return nil
}

func eofIsUnexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func parseDecimal(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 { // 18 digits stay below maxBody's order of magnitude
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, v <= maxBody
}

// asciiEqualFold reports whether b equals the lower-case s, ignoring ASCII case.
func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// hasToken reports whether the comma-separated list v holds token t.
func hasToken(v []byte, t string) bool {
	for len(v) > 0 {
		var item []byte
		item, v, _ = bytes.Cut(v, []byte(","))
		if asciiEqualFold(bytes.TrimSpace(item), t) {
			return true
		}
	}
	return false
}

// hasTokenSuffix reports whether the last item of the list v is t.
func hasTokenSuffix(v []byte, t string) bool {
	if i := bytes.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	return asciiEqualFold(bytes.TrimSpace(v), t)
}
