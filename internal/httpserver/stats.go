package httpserver

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/authz"
	"github.com/pomehq/pome/internal/meter"
)

// registerStats exposes what the verification cache and the usage meter
// count, read when /metrics is scraped: nothing is counted on the request
// path for them (store reads and flushes are counted where they happen).
// cmd/pome-bench reads them to report store queries and flushes per second.
func registerStats(reg *prometheus.Registry, v *apikey.Verifier, m *meter.Meter, g *authz.Gate) {
	if g != nil {
		// One series per outcome, made up front: a verification only adds
		// to the gate's counter (no Prometheus call on the request path).
		for _, o := range pome.Outcomes {
			register(reg, prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name:        "pome_verifications_total",
				Help:        "Verifications of known API keys by outcome: valid, or the policy that refused the key.",
				ConstLabels: prometheus.Labels{"outcome": string(o)},
			}, func() float64 { return float64(g.OutcomeCount(o)) }))
		}
	}
	if v != nil {
		register(reg, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "pome_verify_cache_entries",
			Help: "Verified API keys held in the verification cache (an estimate).",
		}, func() float64 { return float64(v.Stats().Entries) }))
		register(reg, prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "pome_verify_store_reads_total",
			Help: "Store reads by key digest: verifications the caches could not answer.",
		}, func() float64 { return float64(v.Stats().StoreReads) }))
	}
	if m != nil {
		register(reg, prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "pome_usage_flushes_total",
			Help: "Usage flushes written, one transaction each.",
		}, func() float64 { return float64(m.Stats().Flushes) }))
		register(reg, prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "pome_usage_flush_errors_total",
			Help: "Usage flushes that failed; their counts are kept for the next one.",
		}, func() float64 { return float64(m.Stats().FlushErrors) }))
		register(reg, prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "pome_usage_flushed_keys_total",
			Help: "Per-key usage deltas written, over all flushes.",
		}, func() float64 { return float64(m.Stats().FlushedKeys) }))
		register(reg, prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "pome_usage_flush_seconds_total",
			Help: "Time spent writing usage flushes and compacting them.",
		}, func() float64 { return m.Stats().FlushDuration.Seconds() }))
		register(reg, prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "pome_usage_compactions_total",
			Help: "Compactions of pending usage into the totals, one transaction each when there was something to fold.",
		}, func() float64 { return float64(m.Stats().Compactions) }))
		register(reg, prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "pome_usage_compaction_errors_total",
			Help: "Compactions that failed; what was pending stays pending for the next one.",
		}, func() float64 { return float64(m.Stats().CompactErrors) }))
	}
}
