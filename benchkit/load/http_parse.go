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
// memory: lines are read within the caller's buffer, bodies are discarded
// as they arrive.
const (
	maxHeaderLines  = 256            // net/http's server allows 1 MiB of headers; 256 lines is plenty for a response
	maxInformation  = 8              // 1xx responses before the final one
	maxChunkSizeHex = 16             // a 64-bit chunk size
	maxBody         = int64(1 << 62) // no real body is larger; keeps sums below overflow
)

// response is what a parsed response said.
type response struct {
	status    int
	keepAlive bool // the connection may carry another request
}

// A parseState is where a respParser is within a response.
type parseState uint8

const (
	stStatus    parseState = iota // before the status line
	stHeader                      // among the header lines
	stBody                        // in a body of known length
	stChunkSize                   // before a chunk-size line
	stChunkData                   // in a chunk's data
	stChunkEnd                    // before the line break that ends a chunk's data
	stTrailer                     // among the trailer lines
	stToEOF                       // in a body that runs to the connection's end
	stDone                        // the response is complete
)

// A respParser parses one HTTP/1.x response incrementally, from whatever
// pieces the connection delivers: the raw path's goroutine per connection
// feeds it from a bufio.Reader (readResponse), its event loop from each
// read. It keeps no bytes of its own. Lines (the status line, header,
// chunk-size and trailer lines) must arrive whole within one call: feed
// consumes none of an incomplete line, which the caller passes again with
// more data after it. Body bytes are consumed as they come.
type respParser struct {
	head          bool // the request was HEAD: no body whatever the headers say
	state         parseState
	resp          response
	contentLength int64 // -1 when the headers gave none
	chunked       bool
	remaining     int64 // bytes left of the body or of the chunk
	lines         int   // header or trailer lines so far
	info          int   // interim (1xx) responses so far
	started       bool  // some byte of the response has been consumed
}

// reset prepares p for the response to a new request.
func (p *respParser) reset(head bool) {
	*p = respParser{head: head}
}

// feed parses b, which continues what earlier calls consumed, and returns
// how many of its bytes it consumed. done reports that the response is
// complete; bytes after it, unconsumed, belong to no response asked for.
// Short of done and of an error, the unconsumed rest of b is the start of
// a line, to be passed again once more data has arrived after it.
func (p *respParser) feed(b []byte) (n int, done bool, err error) {
	for p.state != stDone {
		switch p.state {
		case stToEOF:
			p.started = p.started || len(b) > n
			return len(b), false, nil
		case stBody, stChunkData:
			k := int(min(int64(len(b)-n), p.remaining))
			n += k
			p.remaining -= int64(k)
			if p.remaining > 0 {
				return n, false, nil
			}
			if p.state == stBody {
				p.state = stDone
			} else {
				p.state = stChunkEnd
			}
			continue
		}
		i := bytes.IndexByte(b[n:], '\n')
		if i < 0 {
			return n, false, nil
		}
		line := b[n : n+i]
		n += i + 1
		p.started = true
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if err := p.line(line); err != nil {
			return n, false, err
		}
	}
	return n, true, nil
}

// eof tells p that the connection ended after everything fed so far, and
// reports whether that completes the response: it does only for a body
// that runs to the connection's end. Otherwise the error is io.EOF when
// not a byte of the response had arrived, io.ErrUnexpectedEOF after some.
func (p *respParser) eof(pending bool) (done bool, err error) {
	switch {
	case p.state == stDone || p.state == stToEOF && !pending:
		p.state = stDone
		return true, nil
	case p.state == stStatus && !p.started && !pending && p.info == 0:
		return false, io.EOF
	}
	return false, io.ErrUnexpectedEOF
}

// line parses one line, without its line break.
func (p *respParser) line(line []byte) error {
	switch p.state {
	case stStatus:
		return p.statusLine(line)
	case stHeader:
		if len(line) == 0 {
			return p.endHeader()
		}
		if p.lines++; p.lines >= maxHeaderLines {
			return &ProtocolError{"too many header lines"}
		}
		return p.field(line)
	case stChunkSize:
		return p.chunkSize(line)
	case stChunkEnd:
		if len(line) != 0 {
			return &ProtocolError{"chunk data longer than its size"}
		}
		p.state = stChunkSize
	case stTrailer:
		if len(line) == 0 {
			p.state = stDone
			return nil
		}
		if p.lines++; p.lines >= maxHeaderLines {
			return &ProtocolError{"too many trailer lines"}
		}
	}
	return nil
}

func (p *respParser) statusLine(line []byte) error {
	// "HTTP/1.1 200 OK": version, space, three digits, then a space or the end.
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' ||
		(len(line) > 12 && line[12] != ' ') {
		return &ProtocolError{"bad status line"}
	}
	status := 0
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return &ProtocolError{"bad status code"}
		}
		status = status*10 + int(c-'0')
	}
	if status < 100 {
		return &ProtocolError{"bad status code"}
	}
	p.resp = response{status: status, keepAlive: line[7] == '1'} // HTTP/1.1 keeps alive by default, 1.0 does not
	p.contentLength, p.chunked, p.lines = -1, false, 0
	p.state = stHeader
	return nil
}

func (p *respParser) field(line []byte) error {
	name, value, ok := bytes.Cut(line, []byte(":"))
	if !ok {
		return &ProtocolError{"header line without a colon"}
	}
	value = bytes.TrimSpace(value)
	switch {
	case asciiEqualFold(name, "content-length"):
		v, ok := parseDecimal(value)
		if !ok || (p.contentLength >= 0 && v != p.contentLength) {
			return &ProtocolError{"bad Content-Length"}
		}
		p.contentLength = v
	case asciiEqualFold(name, "transfer-encoding"):
		// Only "chunked" may be last; anything else means read to close (RFC 9112 §6.3).
		p.chunked = hasTokenSuffix(value, "chunked")
		if !p.chunked {
			p.resp.keepAlive = false
			p.contentLength = -1
		}
	case asciiEqualFold(name, "connection"):
		if hasToken(value, "close") {
			p.resp.keepAlive = false
		} else if hasToken(value, "keep-alive") {
			p.resp.keepAlive = true
		}
	}
	return nil
}

// endHeader decides, at the empty line after the headers, where the body
// ends.
func (p *respParser) endHeader() error {
	status := p.resp.status
	switch {
	case status < 200 && status != 101:
		// An interim response (100 Continue, 103 Early Hints): the real one follows.
		if p.info++; p.info > maxInformation {
			p.resp = response{}
			return &ProtocolError{"too many 1xx responses"}
		}
		p.state = stStatus
	case p.head || status < 200 || status == 204 || status == 304:
		p.state = stDone
	case p.chunked:
		p.state = stChunkSize
	case p.contentLength > 0:
		p.state, p.remaining = stBody, p.contentLength
	case p.contentLength == 0:
		p.state = stDone
	default:
		// The body runs to the connection's end.
		p.resp.keepAlive = false
		p.state = stToEOF
	}
	return nil
}

func (p *respParser) chunkSize(line []byte) error {
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
		p.state, p.lines = stTrailer, 0
		return nil
	}
	p.state, p.remaining = stChunkData, size
	return nil
}

// A respReader feeds a respParser from reads into a fixed buffer, as the
// event loop reads: an incomplete line is moved to the buffer's start and
// the next read appends to it.
type respReader struct {
	p    respParser
	buf  []byte
	held int   // buf[:held] is the start of a line
	got  int64 // bytes of the response read
}

// reset prepares r for the response to a new request.
func (r *respReader) reset(head bool) {
	r.p.reset(head)
	r.held, r.got = 0, 0
}

// space returns where the next read goes.
func (r *respReader) space() []byte { return r.buf[r.held:] }

// advance parses the n bytes just read into space(). extra reports bytes
// after the end of the response, which no request asked for.
func (r *respReader) advance(n int) (done, extra bool, err error) {
	r.got += int64(n)
	b := r.buf[:r.held+n]
	k, done, err := r.p.feed(b)
	if err != nil || done {
		return done, k < len(b), err
	}
	if len(b)-k == len(r.buf) {
		return false, false, &ProtocolError{"line longer than the read buffer"}
	}
	r.held = copy(r.buf, b[k:])
	return false, false, nil
}

// eof reports whether the connection's end completes the response.
func (r *respReader) eof() (done bool, err error) { return r.p.eof(r.held > 0) }

// readResponse reads one HTTP/1.x response from br, discarding its body.
// head says the request was HEAD, whose response has no body whatever its
// headers say. A line must fit in br's buffer.
func readResponse(br *bufio.Reader, head bool) (response, error) {
	var p respParser
	p.reset(head)
	for {
		b, _ := br.Peek(br.Buffered())
		n, done, err := p.feed(b)
		br.Discard(n)
		if err != nil || done {
			return p.resp, err
		}
		pending := len(b) - n // the start of a line
		if pending == br.Size() {
			return p.resp, &ProtocolError{"line longer than the read buffer"}
		}
		if more, err := br.Peek(pending + 1); len(more) <= pending {
			if err == io.EOF {
				_, err = p.eof(pending > 0)
			}
			return p.resp, err
		}
	}
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
