// Package promtest holds the conformance tests and benchmarks of
// metricsx's Prometheus exporter; see go.mod.
package promtest
