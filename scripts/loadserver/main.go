// Loadserver is the small net/http server the httpload scripts load: it
// answers every request with a short body, and can stall once, to show
// coordinated omission.
//
// Usage:
//
//	loadserver [-stall-after D -stall D]
//
// It listens on a free loopback port and prints its URL as the first line
// of its standard output. With -stall, requests arriving from -stall-after
// after the first request, until -stall later, are all answered when the
// stall ends.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
)

func main() {
	stallAfter := flag.Duration("stall-after", 0, "when to stall, from the first request")
	stall := flag.Duration("stall", 0, "how long to stall once (0: never)")
	flag.Parse()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadserver:", err)
		os.Exit(1)
	}
	fmt.Printf("http://%s/\n", ln.Addr())
	var (
		mu          sync.Mutex
		first, stop time.Time
	)
	body := []byte("hello, world\n")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if *stall > 0 {
			now := time.Now()
			mu.Lock()
			if first.IsZero() {
				first = now
			}
			if stop.IsZero() && now.Sub(first) >= *stallAfter {
				stop = now.Add(*stall)
			}
			wait := stop.Sub(now)
			mu.Unlock()
			if wait > 0 {
				time.Sleep(wait)
			}
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Write(body)
	})
	if err := http.Serve(ln, h); err != nil {
		fmt.Fprintln(os.Stderr, "loadserver:", err)
		os.Exit(1)
	}
}
