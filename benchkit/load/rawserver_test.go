package load

import (
	"bytes"
	"net"
	"sync"
	"testing"
)

// rawServer is a minimal HTTP/1.1 server on loopback that allocates
// nothing per request, so that allocation counts of the client are not
// blurred by the server's, and that can misbehave in ways net/http's
// server will not: close every connection after one response, reset
// connections, or answer with garbage.
type rawServer struct {
	ln    net.Listener
	wg    sync.WaitGroup
	serve func(c net.Conn, req []byte) (keep bool) // answers one request
	mu    sync.Mutex
	conns map[net.Conn]bool
}

const okResponse = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"

func startRawServer(t testing.TB, serve func(c net.Conn, req []byte) bool) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{ln: ln, serve: serve, conns: map[net.Conn]bool{}}
	s.wg.Go(s.accept)
	t.Cleanup(s.Close)
	return s
}

func (s *rawServer) URL() string { return "http://" + s.ln.Addr().String() + "/" }

func (s *rawServer) accept() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Go(func() {
			defer func() {
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				c.Close()
			}()
			buf := make([]byte, 4096)
			n := 0
			for {
				m, err := c.Read(buf[n:])
				if err != nil {
					return
				}
				n += m
				end := bytes.Index(buf[:n], []byte("\r\n\r\n"))
				if end < 0 {
					if n == len(buf) {
						return
					}
					continue
				}
				if !s.serve(c, buf[:end+4]) {
					return
				}
				n = copy(buf, buf[end+4:n])
			}
		})
	}
}

// Close stops the server and waits until every connection is closed.
func (s *rawServer) Close() {
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

var okBytes = []byte(okResponse)

func serveOK(c net.Conn, _ []byte) bool {
	_, err := c.Write(okBytes)
	return err == nil
}
