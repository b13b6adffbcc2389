package main

import (
	"context"
	"errors"
	"expvar"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"time"

	"github.com/nativego/nativego/metricsx"
)

func serve(ctx context.Context, stderr io.Writer, o options, listening func(string)) error {
	ln, err := net.Listen("tcp", o.serve)
	if err != nil {
		return err
	}
	defer ln.Close()

	page := &metricsx.Page{Local: &metricsx.Sampler{Interval: o.interval}}
	if o.compare != "" {
		client := &http.Client{Timeout: max(o.interval, time.Second)}
		page.Remote = &metricsx.Sampler{Interval: o.interval, Source: metricsx.HTTPSource(client, o.compare)}
		page.RemoteName = o.compare
	}
	if expvar.Get("metricsx") == nil {
		if err := metricsx.PublishExpvar("metricsx"); err != nil {
			return err
		}
	}
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", page)
	mux.Handle("GET /metrics", metricsx.Handler(metricsx.HandlerOptions{}))
	mux.Handle("GET /debug/vars", expvar.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 3)
	go func() { done <- page.Run(ctx) }()
	go func() { done <- churn(ctx, o.churn) }()
	go func() { done <- srv.Serve(ln) }()
	addr := ln.Addr().String()
	fmt.Fprintf(stderr, "metricsdump: serving on http://%s/ (page), http://%s/metrics\n", addr, addr)
	if listening != nil {
		listening(addr)
	}

	err = <-done // the first to end ends the others
	cancel()
	shutdown, cancelShutdown := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelShutdown()
	srv.Shutdown(shutdown)
	for range 2 {
		if e := <-done; err == nil || errors.Is(err, context.Canceled) {
			err = e
		}
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// churn allocates bytesPerSec bytes of garbage a second in 10 steps, until
// ctx ends.
func churn(ctx context.Context, bytesPerSec int64) error {
	if bytesPerSec == 0 {
		<-ctx.Done()
		return ctx.Err()
	}
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			for left := bytesPerSec / 10; left > 0; left -= 32 << 10 {
				// A slice of non-constant size lives on the heap;
				// KeepAlive stops the compiler from dropping it.
				runtime.KeepAlive(make([]byte, min(left, 32<<10)))
			}
		}
	}
}
