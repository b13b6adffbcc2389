package metricsx

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// HTTPSource returns a Source that fetches a snapshot of another process
// from url, an endpoint that serves the JSON form (such as [Handler] of
// this package in that process). The client is http.DefaultClient when
// nil; bound the time of each fetch with the client's Timeout or the
// context. Bodies longer than 8 MiB are rejected. The Source reuses one
// buffer between fetches, so it must not be called concurrently; a
// Sampler calls its Source from one goroutine.
func HTTPSource(client *http.Client, url string) Source {
	if client == nil {
		client = http.DefaultClient
	}
	var buf []byte
	return func(ctx context.Context, dst *Snapshot) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("metricsx: %w", err)
		}
		req.Header.Set("Accept", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("metricsx: %w", err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("metricsx: GET %s: %s", url, resp.Status)
		}
		// Read into a buffer kept between fetches; one more byte than the
		// limit tells a body that is too long from one that fits exactly.
		buf = buf[:0]
		lr := io.LimitReader(resp.Body, maxLineLength+1)
		for {
			if len(buf) == cap(buf) {
				buf = append(buf, 0)[:len(buf)]
			}
			n, err := lr.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			if err == io.EOF {
				break
			}
			if err != nil {
				return fmt.Errorf("metricsx: GET %s: %w", url, err)
			}
		}
		if len(buf) > maxLineLength {
			return fmt.Errorf("metricsx: GET %s: body longer than %d bytes", url, maxLineLength)
		}
		if err := dst.UnmarshalJSON(buf); err != nil {
			return fmt.Errorf("metricsx: GET %s: %w", url, err)
		}
		return nil
	}
}
