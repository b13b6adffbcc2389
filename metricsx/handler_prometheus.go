package metricsx

import "net/http"

// servePrometheus answers a request for the Prometheus text format. The
// handler's NoProcess also leaves the process statistics out of it.
func (h *handler) servePrometheus(w http.ResponseWriter, s *Snapshot) {
	opts := h.opts.Prometheus
	opts.NoProcess = opts.NoProcess || h.opts.NoProcess
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	if err := WritePrometheus(w, s, opts); err != nil {
		// Only a bad prefix or label reaches here: the options are the
		// server's, so this is a server error.
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}
