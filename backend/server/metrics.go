package server

import (
	"context"
	"encoding/json"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/svgtrace/svgtrace/backend/queue"
	"github.com/svgtrace/svgtrace/backend/store"
)

// metrics are the Prometheus metrics of /metrics. Counts of this process
// (uploads) are counted as they happen; the queue and the workers, shared by
// every process on the database, are read from it at scrape time; traces,
// done by worker processes, are counted from the durable events.
type metrics struct {
	s        *Server
	reg      *prometheus.Registry
	uploads  *prometheus.CounterVec
	duration prometheus.Histogram
	failures prometheus.Counter
	queue    *prometheus.Desc
	workers  *prometheus.Desc
	// recent is a moving average of backend trace times in nanoseconds,
	// for the hub's estimate of the queue's wait.
	recent atomic.Int64
}

// recentWeight is the weight of the newest trace in the moving average: the
// last ten or so traces count, so the estimate follows a change in load
// within seconds but one slow image does not swing it.
const recentWeight = 0.2

// recentTrace is the moving average of backend trace times, 0 before any.
func (m *metrics) recentTrace() time.Duration { return time.Duration(m.recent.Load()) }

func (m *metrics) observeTrace(d time.Duration) {
	m.duration.Observe(d.Seconds())
	old := m.recent.Load()
	if old == 0 {
		m.recent.Store(int64(d))
		return
	}
	m.recent.Store(int64((1-recentWeight)*float64(old) + recentWeight*float64(d)))
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		s:   s,
		reg: prometheus.NewRegistry(),
		uploads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "svgtrace_uploads_total",
			Help: "Uploaded files by result: created (a new image), existing (same bytes and options as an image already stored), rejected.",
		}, []string{"result"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "svgtrace_trace_duration_seconds",
			Help: "Time a worker spent reading, decoding and tracing an image.",
			// Placeholders take milliseconds; full-size traces seconds.
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 120},
		}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "svgtrace_trace_failures_total",
			Help: "Images whose trace failed for good.",
		}),
		queue: prometheus.NewDesc("svgtrace_queue_jobs", "Trace jobs by River state.", []string{"state"}, nil),
		workers: prometheus.NewDesc("svgtrace_workers_live",
			"Worker processes with a heartbeat within the lease.", nil, nil),
	}
	for _, r := range []string{"created", "existing", "rejected"} {
		m.uploads.WithLabelValues(r) // exported at 0 from the start
	}
	m.reg.MustRegister(m.uploads, m.duration, m.failures, m,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: nil})
}

// Describe and Collect make metrics a prometheus.Collector of the gauges
// read from the database.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.queue
	ch <- m.workers
}

// jobStates are River's job states, all exported so a state at zero shows 0
// rather than disappearing.
var jobStates = []string{"available", "cancelled", "completed", "discarded", "pending", "retryable", "running", "scheduled"}

func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts := map[string]float64{}
	rows, err := m.s.db.QueryContext(ctx, `SELECT state, count(*) FROM river_job WHERE kind = ? GROUP BY state`, queue.TraceArgs{}.Kind())
	if err == nil {
		for rows.Next() {
			var (
				state string
				n     float64
			)
			if rows.Scan(&state, &n) == nil {
				counts[state] = n
			}
		}
		rows.Close()
	}
	if err != nil {
		m.s.log.Warn("metrics: queue depth", "err", err)
		return
	}
	for _, st := range jobStates {
		ch <- prometheus.MustNewConstMetric(m.queue, prometheus.GaugeValue, counts[st], st)
	}
	if ws, err := m.s.db.LiveWorkers(ctx, queue.Lease); err == nil {
		ch <- prometheus.MustNewConstMetric(m.workers, prometheus.GaugeValue, float64(len(ws)))
	}
}

// observe counts one durable event: a traced event's duration, a failed
// one. The hub, which follows the events table anyway, calls it for every
// event it reads, so the table is read once for both.
func (m *metrics) observe(ev store.Event) {
	switch ev.Type {
	case store.EventTraced:
		var st struct {
			TraceMillis float64 `json:"traceMillis"`
		}
		if json.Unmarshal(ev.Payload, &st) == nil && st.TraceMillis > 0 {
			m.observeTrace(time.Duration(st.TraceMillis * float64(time.Millisecond)))
		}
	case store.EventFailed:
		m.failures.Inc()
	}
}
