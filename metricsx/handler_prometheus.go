package metricsx

import "net/http"

// prometheusBuiltIn reports whether servePrometheus serves the text format.
//
// The text exporter (WritePrometheus and PromOptions, in prometheus.go) is
// written on the gctrace branch. Until it is merged this file answers 406
// Not Acceptable; the merge sets prometheusBuiltIn, adds
// `Prometheus PromOptions` to HandlerOptions, and makes the body:
//
//	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
//	if err := WritePrometheus(w, s, h.opts.Prometheus); err != nil {
//		http.Error(w, err.Error(), http.StatusInternalServerError)
//	}
const prometheusBuiltIn = false

// servePrometheus answers a request for the Prometheus text format.
func (h *handler) servePrometheus(w http.ResponseWriter, s *Snapshot) {
	_ = s
	http.Error(w, "Prometheus text format is not built into this version", http.StatusNotAcceptable)
}
