package metricsx

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/nativego/nativego/internal/testenv"
)

// helperEnv, set in a child copy of the test binary, makes TestMain serve
// metrics instead of running tests: a second, real process to watch.
const helperEnv = "METRICSX_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "serve" {
		os.Exit(serveHelper())
	}
	testenv.Main(m)
}

var helperGarbage []byte

// serveHelper serves Handler on a loopback port it prints, allocating
// garbage so that the GC runs, until its standard input ends (the parent
// test exited or closed it): it cannot outlive the test.
func serveHelper() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(ln.Addr())
	go http.Serve(ln, Handler(HandlerOptions{}))
	go func() {
		for {
			helperGarbage = make([]byte, 64<<10)
			time.Sleep(100 * time.Microsecond)
		}
	}()
	io.Copy(io.Discard, os.Stdin)
	return 0
}
