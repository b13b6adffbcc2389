package metricsx

import "net/http"

// prometheusBuiltIn reports whether servePrometheus serves the text format.
const prometheusBuiltIn = true

// servePrometheus answers a request for the Prometheus text format.
func (h *handler) servePrometheus(w http.ResponseWriter, s *Snapshot) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	if err := WritePrometheus(w, s, h.opts.Prometheus); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}
