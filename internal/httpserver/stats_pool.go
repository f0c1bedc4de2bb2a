package httpserver

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/ratelimit"
)

// The collectors of what has labels known only when scraped: the store's
// connection pools and the rate limits' refusals, read at each scrape.

var (
	poolInUse = prometheus.NewDesc("pome_db_pool_in_use",
		"Database connections lent out now, by pool.", []string{"pool"}, nil)
	poolIdle = prometheus.NewDesc("pome_db_pool_idle",
		"Database connections open and idle, by pool.", []string{"pool"}, nil)
	poolMax = prometheus.NewDesc("pome_db_pool_max",
		"The most database connections a pool opens.", []string{"pool"}, nil)
	poolWaits = prometheus.NewDesc("pome_db_pool_waits_total",
		"Calls that found no database connection free and waited for one, by pool.", []string{"pool"}, nil)
	poolWaitSeconds = prometheus.NewDesc("pome_db_pool_wait_seconds_total",
		"Time spent waiting for a free database connection, by pool.", []string{"pool"}, nil)
	refusals = prometheus.NewDesc("pome_ratelimit_refusals_total",
		"Requests a rate limit refused, by rule: the plans' and keys' own (rule key), failed authentications per client (auth_failures_ip), and the management API's.",
		[]string{"rule"}, nil)
)

// poolCollector exports the store's pools (Config.Pools).
type poolCollector struct{ pools func() []pome.PoolStats }

func (c poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolInUse, poolIdle, poolMax, poolWaits, poolWaitSeconds} {
		ch <- d
	}
}

func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.pools() {
		ch <- prometheus.MustNewConstMetric(poolInUse, prometheus.GaugeValue, float64(p.InUse), p.Name)
		ch <- prometheus.MustNewConstMetric(poolIdle, prometheus.GaugeValue, float64(p.Idle), p.Name)
		ch <- prometheus.MustNewConstMetric(poolMax, prometheus.GaugeValue, float64(p.Max), p.Name)
		ch <- prometheus.MustNewConstMetric(poolWaits, prometheus.CounterValue, float64(p.Waits), p.Name)
		ch <- prometheus.MustNewConstMetric(poolWaitSeconds, prometheus.CounterValue, p.WaitDuration.Seconds(), p.Name)
	}
}

// refusalCollector exports the refusals of a counted limiter.
type refusalCollector struct{ limiter *ratelimit.Counted }

func (c refusalCollector) Describe(ch chan<- *prometheus.Desc) { ch <- refusals }

func (c refusalCollector) Collect(ch chan<- prometheus.Metric) {
	for rule, n := range c.limiter.Refusals() {
		ch <- prometheus.MustNewConstMetric(refusals, prometheus.CounterValue, float64(n), rule)
	}
}

// registerPoolsAndRefusals registers what of the two there is: the pools
// when pools is set, the refusals when limiter counts them (node.New
// makes every limiter a *ratelimit.Counted, shared by the Gate and the
// management API).
func registerPoolsAndRefusals(reg *prometheus.Registry, pools func() []pome.PoolStats, limiter ratelimit.Limiter) {
	if pools != nil {
		register(reg, poolCollector{pools})
	}
	if c, ok := limiter.(*ratelimit.Counted); ok {
		register(reg, refusalCollector{c})
	}
}
