// Module promtest checks metricsx's Prometheus exporter against the
// Prometheus project's own code and tools: the text parser of
// prometheus/common/expfmt, `promtool check metrics`, a real Prometheus
// server, and client_golang's Go collector for names and cost. It is a
// module of its own so that importers of nativego never download
// Prometheus code; metricsx/promtest_test.go runs its tests from the
// root module.
module github.com/nativego/nativego/metricsx/internal/promtest

go 1.26.0

require (
	github.com/nativego/nativego v0.0.0
	github.com/prometheus/client_golang v1.25.0
	github.com/prometheus/client_model v0.6.3
	github.com/prometheus/common v0.73.1
)

require (
	github.com/beorn7/perks v1.0.1 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/munnerz/goautoneg v0.0.0-20191010083416-a7dc8b61c822 // indirect
	github.com/pandatix/go-abnf v0.5.3 // indirect
	github.com/prometheus/procfs v0.22.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

replace github.com/nativego/nativego => ../../..
