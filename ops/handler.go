// Package ops serves ampd's operations endpoint over HTTP: Prometheus metrics, liveness and
// readiness.
//
//	/metrics  the metrics of the gatherer given (never the global registry)
//	/healthz  200 "ok" while the process works; 503 and the reason otherwise
//	/readyz   200 "ok" while ampd can process AMP requests; 503 and the reason otherwise,
//	          e.g. "component not connected"
//	/status   the connection, each host's permission and counts as JSON (Status), when a
//	          StatusSource is given
package ops

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NewHandler returns the handler of the operations endpoint. ready and healthy are asked on
// every request; a nil error means yes, and the error's text is the reason given otherwise.
// A nil function always answers yes. A nil status leaves /status out.
func NewHandler(g prometheus.Gatherer, ready func() error, healthy func() error, status StatusSource) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	mux.Handle("GET /healthz", probe(healthy))
	mux.Handle("GET /readyz", probe(ready))
	if status != nil {
		mux.Handle("GET /status", statusHandler(status))
	}
	return mux
}

// probe answers 200 "ok" when check passes and 503 with its reason when it does not. Probes
// must never be cached: a stale "ok" would hide an outage.
func probe(check func() error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if check != nil {
			if err := check(); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = w.Write([]byte(err.Error() + "\n"))
				return
			}
		}
		_, _ = w.Write([]byte("ok\n"))
	})
}
