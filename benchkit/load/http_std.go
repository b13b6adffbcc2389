package load

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
)

// stdHTTP sends requests with net/http: TLS, HTTP/2 over TLS, h2c.
type stdHTTP struct {
	cfg    HTTPConfig
	url    string
	client *http.Client
}

func newStdHTTP(cfg HTTPConfig, u *url.URL) (Target, error) {
	var p http.Protocols
	switch {
	case cfg.Protocol == HTTP1:
		p.SetHTTP1(true)
	case cfg.Protocol == HTTP2 && u.Scheme == "http":
		p.SetUnencryptedHTTP2(true)
	case cfg.Protocol == HTTP2:
		p.SetHTTP2(true)
	default:
		p.SetHTTP1(true)
		p.SetHTTP2(true)
	}
	tr := &http.Transport{
		Protocols:           &p,
		TLSClientConfig:     cfg.TLS,
		DisableCompression:  true,
		MaxIdleConnsPerHost: 1 << 16, // one per session; the engine bounds the number
		ForceAttemptHTTP2:   p.HTTP2(),
	}
	return &stdHTTP{cfg: cfg, url: u.String(), client: &http.Client{Transport: tr, Timeout: cfg.Timeout}}, nil
}

func (t *stdHTTP) Open(ctx context.Context) (Session, error) { return &stdSession{t: t}, nil }

type stdSession struct {
	t *stdHTTP
}

func (s *stdSession) Do(ctx context.Context) Outcome {
	var body io.Reader
	if len(s.t.cfg.Body) > 0 {
		body = bytes.NewReader(s.t.cfg.Body)
	}
	req, err := http.NewRequestWithContext(ctx, s.t.cfg.Method, s.t.url, body)
	if err != nil {
		return Outcome{Err: err, Class: ClassOther}
	}
	for k, vs := range s.t.cfg.Header {
		if http.CanonicalHeaderKey(k) == "Host" {
			req.Host = vs[0]
			continue
		}
		req.Header[k] = vs
	}
	resp, err := s.t.client.Do(req)
	if err != nil {
		return Outcome{Err: err}
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	o := Outcome{Bytes: n}
	if err != nil {
		o.Err = err
		o.Class = classOr(err, ClassRead)
		return o
	}
	statusOutcome(&o, resp.StatusCode)
	return o
}

func (s *stdSession) Close() error {
	s.t.client.CloseIdleConnections()
	return nil
}
