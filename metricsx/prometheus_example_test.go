package metricsx_test

import (
	"net/http"
	"runtime"

	"github.com/nativego/nativego/metricsx"
)

// A /metrics endpoint for Prometheus, with labels that tell a native
// build from a translated one.
func ExampleWritePrometheus() {
	opts := metricsx.PromOptions{Labels: []metricsx.PromLabel{
		{Name: "goarch", Value: runtime.GOARCH},
		{Name: "translated", Value: "0"}, // from archcheck's host facts
	}}
	http.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		metricsx.WritePrometheus(w, metricsx.ReadSnapshot(), opts)
	})
}
