package metricsx

import (
	"encoding/json"
	"mime"
	"net/http"
	"strings"
	"sync"
)

// HandlerOptions configure [Handler]. The zero value serves the runtime
// metrics and the process statistics.
type HandlerOptions struct {
	// NoProcess leaves the process statistics ([ReadProcess]) out.
	NoProcess bool
	// Prometheus configures the Prometheus text format.
	Prometheus PromOptions
}

// Handler returns an http.Handler that serves a fresh snapshot of this
// process on every GET, in the format the request asks for:
//
//   - JSON (the package documentation, # JSON, describes it), with the
//     process statistics as a "process" object, for ?format=json or an
//     Accept header naming application/json, and by default;
//   - Prometheus text exposition format, for ?format=prometheus or an
//     Accept header naming text/plain or application/openmetrics-text
//     without application/json.
//
// An unknown ?format is answered 400 Bad Request. Reading costs one
// snapshot read, a few microseconds, and does not stop the world.
func Handler(opts HandlerOptions) http.Handler {
	return &handler{opts: opts}
}

type handler struct {
	opts HandlerOptions
	pool sync.Pool // of *handlerBuf
}

type handlerBuf struct {
	snap Snapshot
	out  []byte
}

// Formats a handler serves.
const (
	formatJSON       = "json"
	formatPrometheus = "prometheus"
)

// negotiate picks the response format for r, or "" if r asks for one the
// handler does not know.
func negotiate(r *http.Request) string {
	if f := r.URL.Query().Get("format"); f != "" {
		switch f {
		case formatJSON, formatPrometheus:
			return f
		}
		return ""
	}
	// The first media type the client accepts that we serve wins; q
	// values are not weighed: Prometheus sends text/plain and
	// openmetrics-text, browsers text/html and */*, and curl */*.
	for part := range strings.SplitSeq(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "application/json":
			return formatJSON
		case "text/plain", "application/openmetrics-text":
			return formatPrometheus
		}
	}
	return formatJSON
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	format := negotiate(r)
	w.Header().Add("Vary", "Accept")
	if format == "" {
		http.Error(w, "unknown format: use ?format=json or ?format=prometheus", http.StatusBadRequest)
		return
	}
	buf, _ := h.pool.Get().(*handlerBuf)
	if buf == nil {
		buf = new(handlerBuf)
	}
	defer h.pool.Put(buf)
	buf.snap.Read()

	switch format {
	case formatJSON:
		buf.out = appendHandlerJSON(buf.out[:0], &buf.snap, h.opts)
		w.Header().Set("Content-Type", "application/json")
		w.Write(buf.out)
	case formatPrometheus:
		h.servePrometheus(w, &buf.snap)
	}
}

// appendHandlerJSON appends the snapshot's JSON form with the process
// statistics added as "process".
func appendHandlerJSON(b []byte, s *Snapshot, opts HandlerOptions) []byte {
	b = s.AppendJSON(b)
	if opts.NoProcess {
		return append(b, '\n')
	}
	p, _ := ReadProcess() // the fields that could be read; errors leave fields out
	pj, err := json.Marshal(p)
	if err != nil {
		return append(b, '\n')
	}
	b = b[:len(b)-1] // the snapshot's closing brace
	b = append(b, `,"process":`...)
	b = append(b, pj...)
	return append(b, "}\n"...)
}
