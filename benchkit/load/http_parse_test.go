package load

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// realResponses captures the raw bytes a net/http server sends for a few
// requests that exercise each way a body can end.
func realResponses(t testing.TB) map[string][]byte {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/length", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello\n")) })
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Sum")
		for i := range 3 {
			w.Write(bytes.Repeat([]byte{'a' + byte(i)}, 100*(i+1)))
			w.(http.Flusher).Flush()
		}
		w.Header().Set("X-Sum", "600")
	})
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("/close", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		w.Write([]byte("bye"))
	})
	mux.HandleFunc("/error", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) })
	mux.HandleFunc("/continue", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusEarlyHints)
		w.Write([]byte("after hints"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	out := map[string][]byte{}
	for _, path := range []string{"/length", "/chunked", "/empty", "/close", "/error", "/continue", "/missing"} {
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		// Connection: close makes the server end the stream after one
		// response, so that reading to EOF captures exactly it.
		io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		c.SetDeadline(time.Now().Add(10 * time.Second))
		b, err := io.ReadAll(c)
		c.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[path] = b
	}
	return out
}

func TestReadResponseRealServer(t *testing.T) {
	for path, raw := range realResponses(t) {
		t.Run(strings.TrimPrefix(path, "/"), func(t *testing.T) {
			// The oracle: net/http's own client-side parser.
			// Like net/http's Transport, skip interim 1xx responses.
			oracle := bufio.NewReader(bytes.NewReader(raw))
			want, err := http.ReadResponse(oracle, nil)
			for err == nil && want.StatusCode < 200 {
				want, err = http.ReadResponse(oracle, nil)
			}
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, want.Body)
			br := bufio.NewReaderSize(bytes.NewReader(raw), readBufferSize)
			got, err := readResponse(br, false)
			if err != nil {
				t.Fatalf("readResponse: %v\n%q", err, raw)
			}
			if got.status != want.StatusCode {
				t.Errorf("status %d, net/http says %d", got.status, want.StatusCode)
			}
			if br.Buffered() != 0 {
				t.Errorf("%d bytes left after the response", br.Buffered())
			}
		})
	}
}

func TestReadResponse(t *testing.T) {
	tests := []struct {
		name      string
		raw       string
		head      bool
		status    int
		keepAlive bool
		rest      string // left unread
		err       string // substring of the error, "" for none
	}{
		{name: "length", raw: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloNEXT", status: 200, keepAlive: true, rest: "NEXT"},
		{name: "bare-lf", raw: "HTTP/1.1 200 OK\nContent-Length: 2\n\nhiNEXT", status: 200, keepAlive: true, rest: "NEXT"},
		{name: "no-reason", raw: "HTTP/1.1 404\r\ncontent-LENGTH:0\r\n\r\n", status: 404, keepAlive: true},
		{name: "http10", raw: "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", status: 200},
		{name: "http10-keepalive", raw: "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n", status: 200, keepAlive: true},
		{name: "close", raw: "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx", status: 200},
		{name: "to-eof", raw: "HTTP/1.1 200 OK\r\n\r\nall of this", status: 200},
		{name: "chunked", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\nNEXT", status: 200, keepAlive: true, rest: "NEXT"},
		{name: "head", raw: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nNEXT", head: true, status: 200, keepAlive: true, rest: "NEXT"},
		{name: "204", raw: "HTTP/1.1 204 No Content\r\nContent-Length: 100\r\n\r\nNEXT", status: 204, keepAlive: true, rest: "NEXT"},
		{name: "100-continue", raw: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", status: 201, keepAlive: true},
		{name: "gzip-then-chunked", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", status: 200, keepAlive: true},
		{name: "not-chunked-last", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nabc", status: 200},

		{name: "short-body", raw: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", status: 200, keepAlive: true, err: "unexpected EOF"},
		{name: "empty", raw: "", err: "EOF"},
		{name: "partial-line", raw: "HTTP/1.1 200", err: "unexpected EOF"},
		{name: "garbage", raw: "SSH-2.0-OpenSSH_9.2\r\n", err: "bad status line"},
		{name: "status-letters", raw: "HTTP/1.1 2x0 OK\r\n\r\n", err: "bad status code"},
		{name: "status-low", raw: "HTTP/1.1 099 OK\r\n\r\n", err: "bad status code"},
		{name: "no-colon", raw: "HTTP/1.1 200 OK\r\nbroken\r\n\r\n", status: 200, keepAlive: true, err: "without a colon"},
		{name: "bad-length", raw: "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", status: 200, keepAlive: true, err: "Content-Length"},
		{name: "two-lengths", raw: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", status: 200, keepAlive: true, err: "Content-Length"},
		{name: "huge-length", raw: "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", status: 200, keepAlive: true, err: "Content-Length"},
		{name: "bad-chunk", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", status: 200, keepAlive: true, err: "chunk size"},
		{name: "huge-chunk", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n", status: 200, keepAlive: true, err: "chunk too large"},
		{name: "chunk-overrun", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc\r\n", status: 200, keepAlive: true, err: "longer than its size"},
		{name: "long-line", raw: "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("a", readBufferSize) + "\r\n\r\n", status: 200, keepAlive: true, err: "longer than the read buffer"},
		{name: "many-headers", raw: "HTTP/1.1 200 OK\r\n" + strings.Repeat("X: y\r\n", maxHeaderLines+1) + "\r\n", status: 200, keepAlive: true, err: "too many header lines"},
		{name: "many-1xx", raw: strings.Repeat("HTTP/1.1 100 Continue\r\n\r\n", maxInformation+2), err: "too many 1xx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			br := bufio.NewReaderSize(strings.NewReader(tt.raw), readBufferSize)
			got, err := readResponse(br, tt.head)
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("error %v, want %q", err, tt.err)
			}
			if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && Classify(err) != ClassRead {
				t.Errorf("error %v classified %q, want %q", err, Classify(err), ClassRead)
			}
			if got.status != tt.status || got.keepAlive != tt.keepAlive {
				t.Errorf("status %d keepAlive %v, want %d %v", got.status, got.keepAlive, tt.status, tt.keepAlive)
			}
			if err == nil {
				rest, _ := io.ReadAll(br)
				if string(rest) != tt.rest {
					t.Errorf("left %q, want %q", rest, tt.rest)
				}
			}
		})
	}
}

func FuzzReadResponse(f *testing.F) {
	for _, raw := range realResponses(f) {
		f.Add(raw, false)
	}
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"), false)
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"), true)
	f.Fuzz(func(t *testing.T, raw []byte, head bool) {
		r := bytes.NewReader(raw)
		br := bufio.NewReaderSize(r, readBufferSize)
		// Several responses in a row, as on a kept-alive connection; each
		// call must consume input or fail, so the loop ends.
		for range 4 {
			before := r.Len() + br.Buffered()
			resp, err := readResponse(br, head)
			if err != nil {
				if err != io.EOF && Classify(err) != ClassRead {
					t.Fatalf("error %v classified %q", err, Classify(err))
				}
				return
			}
			if resp.status < 100 || resp.status > 999 {
				t.Fatalf("status %d accepted", resp.status)
			}
			if r.Len()+br.Buffered() >= before {
				t.Fatalf("a response consumed no input")
			}
		}
	})
}

// FuzzRespReaderPieces checks the event loop's incremental reading against
// readResponse: fed the same bytes in pieces of any sizes, through a buffer
// of the same size, it must reach the same response, or fail where
// readResponse fails.
func FuzzRespReaderPieces(f *testing.F) {
	for _, raw := range realResponses(f) {
		f.Add(raw, []byte{1, 7, 64, 3}, false)
	}
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nNEXT"), []byte{5}, false)
	f.Add([]byte("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\nto the end"), []byte{2, 200}, false)
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"), []byte{}, true)
	f.Fuzz(func(t *testing.T, raw, pieces []byte, head bool) {
		want, wantErr := readResponse(bufio.NewReaderSize(bytes.NewReader(raw), readBufferSize), head)

		rr := respReader{buf: make([]byte, readBufferSize)}
		rr.reset(head)
		var (
			got       response
			done, eof bool
			err       error
		)
		for i, off := 0, 0; !done && err == nil; i++ {
			size := len(raw) - off
			if i < len(pieces) {
				size = min(size, int(pieces[i])+1)
			}
			n := copy(rr.space(), raw[off:off+size])
			if n == 0 {
				eof = true
				_, err = rr.eof()
				break
			}
			off += n
			done, _, err = rr.advance(n)
		}
		got = rr.p.resp
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("pieces %v: error %v (at EOF %v), readResponse's %v", pieces, err, eof, wantErr)
		}
		if err == nil && got != want {
			t.Fatalf("pieces %v: %+v, readResponse %+v", pieces, got, want)
		}
		if err != nil && Classify(err) != ClassRead {
			t.Fatalf("error %v classified %q", err, Classify(err))
		}
	})
}
