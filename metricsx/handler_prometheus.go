package metricsx

import "net/http"

// servePrometheus answers a request for the Prometheus text format.
//
// The text exporter (WritePrometheus, in prometheus.go) is written on
// another branch; until it is merged this answers 406 Not Acceptable, and
// the merge replaces the body with:
//
//	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
//	WritePrometheus(w, s, h.opts.Prometheus)
func (h *handler) servePrometheus(w http.ResponseWriter, s *Snapshot) {
	_ = s
	http.Error(w, "Prometheus text format is not built into this version", http.StatusNotAcceptable)
}
