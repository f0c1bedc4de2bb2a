package httpserver

import (
	"errors"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pomehq/pome/internal/buildinfo"
)

// routeOther labels requests that matched no registered route, so that
// scanners cannot grow the label set.
const routeOther = "other"

// metrics counts requests by route pattern and status class, and times them.
// Every route's series are made up front: the request path looks them up in a
// read-only map and allocates nothing.
type metrics struct {
	byRoute map[string]*routeMetrics
	other   *routeMetrics
}

type routeMetrics struct {
	byClass  [6]prometheus.Counter // index: status / 100
	duration prometheus.Observer
}

func newMetrics(reg *prometheus.Registry, patterns []string) *metrics {
	requests := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pome_http_requests_total",
		Help: "HTTP requests by route pattern and status class.",
	}, []string{"route", "status"}))
	duration := register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "pome_http_request_duration_seconds",
		Help:    "HTTP request latency by route pattern.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"route"}))

	series := func(route string) *routeMetrics {
		rm := &routeMetrics{duration: duration.WithLabelValues(route)}
		for class := 1; class < len(rm.byClass); class++ {
			rm.byClass[class] = requests.WithLabelValues(route, string(rune('0'+class))+"xx")
		}
		rm.byClass[0] = rm.byClass[5] // a status below 100 is a bug: count it as a server error
		return rm
	}
	m := &metrics{byRoute: make(map[string]*routeMetrics, len(patterns)), other: series(routeOther)}
	for _, p := range patterns {
		m.byRoute[p] = series(p)
	}
	return m
}

// registerBuildInfo exports which build runs, as pome_build_info with the
// build in its labels and the value 1 (Prometheus's info-metric
// convention), so that a dashboard can tell the versions of its nodes apart.
func registerBuildInfo(reg *prometheus.Registry, b buildinfo.Info) {
	register(reg, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "pome_build_info",
		Help: "The build of Pome that runs: always 1, the build in the labels.",
		ConstLabels: prometheus.Labels{
			"version": b.Version, "commit": b.Commit, "date": b.Date, "go_version": b.GoVersion,
		},
	}, func() float64 { return 1 }))
}

// register registers c on reg, or returns the collector already registered
// there, so that several handlers can share one registry.
func register[C prometheus.Collector](reg *prometheus.Registry, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err) // a clash of metric names is a programming error
	}
	return c
}

func (m *metrics) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := recorderOf(w)
		next.ServeHTTP(rec, r)
		rec.elapsed = time.Since(rec.start)
		rm := m.byRoute[r.Pattern] // ServeMux sets the pattern on this request
		if rm == nil {
			rm = m.other
		}
		class := rec.statusOrOK() / 100
		if class >= len(rm.byClass) {
			class = 0
		}
		rm.byClass[class].Inc()
		rm.duration.Observe(rec.elapsed.Seconds())
	})
}
