package ops

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestProbes(t *testing.T) {
	notConnected := func() error { return errors.New("component not connected") }
	waiting := func() error { return errors.New("waiting for privilege announcement") }
	fine := func() error { return nil }
	cases := []struct {
		name           string
		ready, healthy func() error
		method, path   string
		status         int
		body           string
	}{
		{"healthy", fine, fine, "GET", "/healthz", 200, "ok\n"},
		{"unhealthy", fine, func() error { return errors.New("store unwritable") }, "GET", "/healthz", 503, "store unwritable\n"},
		{"ready", fine, fine, "GET", "/readyz", 200, "ok\n"},
		{"not connected", notConnected, fine, "GET", "/readyz", 503, "component not connected\n"},
		{"not announced", waiting, fine, "GET", "/readyz", 503, "waiting for privilege announcement\n"},
		{"liveness ignores readiness", notConnected, fine, "GET", "/healthz", 200, "ok\n"},
		{"nil checks pass", nil, nil, "GET", "/readyz", 200, "ok\n"},
		{"head", fine, fine, "HEAD", "/healthz", 200, "ok\n"}, // the recorder keeps what a server would drop
		{"post refused", fine, fine, "POST", "/healthz", 405, "Method Not Allowed\n"},
		{"unknown path", fine, fine, "GET", "/", 404, "404 page not found\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := NewHandler(prometheus.NewRegistry(), c.ready, c.healthy, nil)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
			if rec.Code != c.status || rec.Body.String() != c.body {
				t.Errorf("%s %s = %d %q, want %d %q", c.method, c.path, rec.Code, rec.Body.String(), c.status, c.body)
			}
			if c.status == 200 || c.status == 503 {
				if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
					t.Errorf("Cache-Control = %q, want no-store", cc)
				}
			}
		})
	}
}

func TestMetricsFromTheGivenGatherer(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "ampd_test_total", Help: "A test counter."})
	reg.MustRegister(c)
	c.Add(7)

	srv := httptest.NewServer(NewHandler(reg, nil, nil, nil))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "ampd_test_total 7\n") {
		t.Errorf("/metrics = %d\n%s\nwant 200 with ampd_test_total 7", resp.StatusCode, body)
	}
	// Only the given gatherer: the global registry's Go collector must not show up.
	if strings.Contains(string(body), "go_goroutines") {
		t.Error("/metrics serves the global registry")
	}
}

type fixedStatus Status

func (s fixedStatus) Status() Status { return Status(s) }

func TestStatusJSON(t *testing.T) {
	want := Status{Version: "v1", Connected: true, Ready: "ok", Hosts: []HostStatus{{Host: "a", Privileged: true}, {Host: "b"}}, Held: 3, PresenceResources: 7}
	rec := httptest.NewRecorder()
	NewHandler(prometheus.NewRegistry(), nil, nil, fixedStatus(want)).ServeHTTP(rec, httptest.NewRequest("GET", "/status", nil))
	const body = `{"version":"v1","connected":true,"ready":"ok","hosts":[{"host":"a","privileged":true},{"host":"b","privileged":false}],"held":3,"presence_resources":7}` + "\n"
	if rec.Code != 200 || rec.Body.String() != body || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("/status = %d %s %q, want 200 application/json %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String(), body)
	}
	rec = httptest.NewRecorder()
	NewHandler(prometheus.NewRegistry(), nil, nil, nil).ServeHTTP(rec, httptest.NewRequest("GET", "/status", nil))
	if rec.Code != 404 {
		t.Errorf("/status without a source = %d, want 404", rec.Code)
	}
}
