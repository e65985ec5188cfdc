package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestSeriesVisibleAtZero(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	New(reg)
	want := map[string]int{ // series per metric name before anything happened
		"ampd_messages_total":                               3 * 5,
		"ampd_validation_errors_total":                      7,
		"ampd_replies_total":                                5,
		"ampd_component_connected":                          1,
		"ampd_component_reconnects_total":                   1,
		"ampd_presence_resources":                           1,
		"ampd_processing_seconds":                           1,
		"ampd_stanzas_skipped_total":                        3,
		"ampd_duplicate_routes_total":                       1,
		"ampd_config_last_reload_successful":                1,
		"ampd_config_last_reload_success_timestamp_seconds": 1,
		"ampd_roster_fetch_failures_total":                  1,
		"ampd_held_messages":                                1,
		"ampd_held_recovery_seconds":                        1,
		"ampd_reinjects_total":                              2,
		"ampd_reinject_acks_total":                          1,
		"ampd_reinject_ack_seconds":                         1,
		"ampd_remote_checks_total":                          3,
		"ampd_remote_cache_hits_total":                      1,
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, f := range families {
		got[f.GetName()] = len(f.GetMetric())
	}
	for name, n := range want {
		if got[name] != n {
			t.Errorf("%s: %d series, want %d", name, got[name], n)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("unexpected metric %s", name)
		}
	}
}

func TestLabelValues(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := New(reg)
	m.Messages.WithLabelValues("hold", "notify").Inc()
	m.ValidationErrors.WithLabelValues("missing-id").Add(2)
	m.Replies.WithLabelValues("service-unavailable").Inc()
	m.StanzasSkipped.WithLabelValues("oversized").Inc()

	const want = `
# HELP ampd_replies_total Replies sent to senders, by kind.
# TYPE ampd_replies_total counter
ampd_replies_total{kind="alert"} 0
ampd_replies_total{kind="error"} 0
ampd_replies_total{kind="notify"} 0
ampd_replies_total{kind="service-unavailable"} 1
ampd_replies_total{kind="validation"} 0
# HELP ampd_stanzas_skipped_total Stanzas from the XMPP server that ampd ignored, by reason.
# TYPE ampd_stanzas_skipped_total counter
ampd_stanzas_skipped_total{reason="malformed"} 0
ampd_stanzas_skipped_total{reason="oversized"} 1
ampd_stanzas_skipped_total{reason="unexpected"} 0
# HELP ampd_validation_errors_total AMP requests refused at validation, by error class.
# TYPE ampd_validation_errors_total counter
ampd_validation_errors_total{class="empty-ruleset"} 0
ampd_validation_errors_total{class="invalid-rules"} 0
ampd_validation_errors_total{class="malformed"} 0
ampd_validation_errors_total{class="missing-id"} 2
ampd_validation_errors_total{class="too-large"} 0
ampd_validation_errors_total{class="unsupported-actions"} 0
ampd_validation_errors_total{class="unsupported-conditions"} 0
`
	err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"ampd_replies_total", "ampd_stanzas_skipped_total", "ampd_validation_errors_total")
	if err != nil {
		t.Error(err)
	}
	if got := testutil.ToFloat64(m.Messages.WithLabelValues("hold", "notify")); got != 1 {
		t.Errorf(`ampd_messages_total{verdict="hold",action="notify"} = %v, want 1`, got)
	}
	if got := testutil.ToFloat64(m.Messages.WithLabelValues("deliver", "none")); got != 0 {
		t.Errorf(`ampd_messages_total{verdict="deliver",action="none"} = %v, want 0`, got)
	}
}

func TestGaugesAndCounters(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := New(reg)
	m.ComponentConnected.Set(1)
	m.ComponentReconnects.Inc()
	m.PresenceResources.Add(3)
	m.PresenceResources.Dec()
	m.DuplicateRoutes.Inc()
	m.ConfigLastReloadSuccessful.Set(1)
	m.ConfigLastReloadSuccess.Set(1.7e9)
	m.RosterFetchFailures.Add(4)
	m.RemoteChecks.WithLabelValues("unsupported").Add(2)
	m.RemoteCacheHits.Add(5)
	checks := []struct {
		name string
		c    prometheus.Collector
		want float64
	}{
		{"ampd_component_connected", m.ComponentConnected, 1},
		{"ampd_component_reconnects_total", m.ComponentReconnects, 1},
		{"ampd_presence_resources", m.PresenceResources, 2},
		{"ampd_duplicate_routes_total", m.DuplicateRoutes, 1},
		{"ampd_config_last_reload_successful", m.ConfigLastReloadSuccessful, 1},
		{"ampd_config_last_reload_success_timestamp_seconds", m.ConfigLastReloadSuccess, 1.7e9},
		{"ampd_roster_fetch_failures_total", m.RosterFetchFailures, 4},
		{`ampd_remote_checks_total{result="unsupported"}`, m.RemoteChecks.WithLabelValues("unsupported"), 2},
		{`ampd_remote_checks_total{result="supported"}`, m.RemoteChecks.WithLabelValues("supported"), 0},
		{"ampd_remote_cache_hits_total", m.RemoteCacheHits, 5},
	}
	for _, c := range checks {
		if got := testutil.ToFloat64(c.c); got != c.want {
			t.Errorf("%s = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestProcessingBuckets(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := New(reg)
	m.Processing.Observe(3e-6) // 3µs: a plain decision
	m.Processing.Observe(0.2)  // beyond the last bucket: only +Inf
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "ampd_processing_seconds" {
			continue
		}
		h := f.GetMetric()[0].GetHistogram()
		buckets := h.GetBucket()
		if first, last := buckets[0].GetUpperBound(), buckets[len(buckets)-1].GetUpperBound(); first != 1e-6 || last != 0.1 {
			t.Errorf("buckets span %v..%v, want 1e-06..0.1", first, last)
		}
		for _, b := range buckets {
			want := uint64(0)
			if b.GetUpperBound() >= 3e-6 {
				want = 1
			}
			if b.GetCumulativeCount() != want {
				t.Errorf("bucket le=%v holds %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), want)
			}
		}
		if h.GetSampleCount() != 2 {
			t.Errorf("count = %d, want 2", h.GetSampleCount())
		}
		return
	}
	t.Fatal("ampd_processing_seconds not gathered")
}

// Each registry gets its own collectors: two daemons (or tests) never share counts.
func TestRegistriesAreIndependent(t *testing.T) {
	a := New(prometheus.NewRegistry())
	b := New(prometheus.NewRegistry())
	a.DuplicateRoutes.Inc()
	if got := testutil.ToFloat64(b.DuplicateRoutes); got != 0 {
		t.Errorf("second instance sees %v, want 0", got)
	}
}

func TestRegisteringTwicePanics(t *testing.T) {
	reg := prometheus.NewRegistry()
	New(reg)
	defer func() {
		if recover() == nil {
			t.Error("New on the same registry twice did not panic")
		}
	}()
	New(reg)
}

// Lint the metrics the way promtool does: names, units, help texts.
func TestLint(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	New(reg)
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}
