// Package metrics defines ampd's Prometheus collectors.
//
// New registers them on the registry it is given (never the global one), so that tests and
// several instances in one process each have their own. Every name carries its unit, and
// every label combination the daemon can produce is created at start-up, so that dashboards
// and alerts see a series at 0 instead of none.
package metrics

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ampd-xmpp/ampd/resolver"
)

// The label values created at start-up, one list per label.
var (
	verdicts = []string{string(resolver.Deliver), string(resolver.Discard), string(resolver.Hold)}
	actions  = append(resolver.KnownActions(), "none") // the registered AMP actions

	// The XEP-0079 error classes, plus "malformed" for an <amp/> that cannot be read at all and
	// "too-large" for a divert over component.max_stanza_bytes.
	validationClasses = []string{
		"unsupported-actions", "unsupported-conditions", "invalid-rules",
		"missing-id", "empty-ruleset", "malformed", "too-large",
	}
	replyKinds  = []string{"notify", "alert", "error", "validation", "service-unavailable"}
	skipReasons = []string{"malformed", "oversized", "unexpected"}
)

// Metrics holds every collector of ampd. The fields are safe for concurrent use.
type Metrics struct {
	// Messages counts AMP requests decided: ampd_messages_total{verdict, action}, verdict
	// "deliver", "discard" or "hold", action that of the met rule ("notify", "alert",
	// "error", "drop") or "none" when no rule was met or validation failed.
	Messages *prometheus.CounterVec
	// ValidationErrors counts requests refused at validation:
	// ampd_validation_errors_total{class}, class "unsupported-actions",
	// "unsupported-conditions", "invalid-rules", "missing-id", "empty-ruleset",
	// "malformed" (an <amp/> that cannot be read at all) or "too-large" (a divert over
	// component.max_stanza_bytes, refused with policy-violation).
	ValidationErrors *prometheus.CounterVec
	// Replies counts reply stanzas sent to senders: ampd_replies_total{kind}, kind "notify",
	// "alert", "error" (the error action), "validation" (the error for a failed validation)
	// or "service-unavailable" (a remote next hop without AMP).
	Replies *prometheus.CounterVec
	// ComponentConnected is 1 while the XEP-0114 connection is up and authenticated, else 0:
	// ampd_component_connected.
	ComponentConnected prometheus.Gauge
	// ComponentReconnects counts reconnections after the first connection:
	// ampd_component_reconnects_total.
	ComponentReconnects prometheus.Counter
	// PresenceResources is the number of available resources in the presence table:
	// ampd_presence_resources.
	PresenceResources prometheus.Gauge
	// Processing observes the time from reading a diverted request to queueing its verdict:
	// ampd_processing_seconds.
	Processing prometheus.Histogram
	// StanzasSkipped counts stanzas from the server that ampd ignored:
	// ampd_stanzas_skipped_total{reason}, reason "malformed", "oversized" (over
	// component.max_stanza_bytes: not read; a divert among them is still answered) or
	// "unexpected".
	StanzasSkipped *prometheus.CounterVec
	// DuplicateRoutes counts diverted requests whose ROUTE-ID was already being processed or
	// decided (re-diverted after a reconnect): ampd_duplicate_routes_total.
	DuplicateRoutes prometheus.Counter
	// ConfigLastReloadSuccessful is 1 if the last configuration (re)load succeeded, else 0:
	// ampd_config_last_reload_successful.
	ConfigLastReloadSuccessful prometheus.Gauge
	// ConfigLastReloadSuccess is the Unix time of the last successful (re)load:
	// ampd_config_last_reload_success_timestamp_seconds. Set it with SetToCurrentTime.
	ConfigLastReloadSuccess prometheus.Gauge
	// RosterFetchFailures counts roster reads (XEP-0356) that failed or timed out:
	// ampd_roster_fetch_failures_total.
	RosterFetchFailures prometheus.Counter
	// HeldMessages is the number of messages ampd holds (expire-at, recipient offline):
	// ampd_held_messages, read at each scrape from what CountHeldFrom gave (0 before).
	HeldMessages prometheus.GaugeFunc
	heldCount    atomic.Pointer[func() int]
	// HeldRecovery is how long loading the held messages took at start:
	// ampd_held_recovery_seconds.
	HeldRecovery prometheus.Gauge
	// Reinjects counts held-message stanzas handed to the server module:
	// ampd_reinjects_total{kind}, kind "release" (a held message delivered) or "reply" (the
	// reply of an expire-at rule that fired while the message was held).
	Reinjects *prometheus.CounterVec
	// ReinjectAcks counts the server module's acknowledgements of re-injects:
	// ampd_reinject_acks_total. Reinjects minus acks is the backlog still unconfirmed.
	ReinjectAcks prometheus.Counter
	// ReinjectAckLag observes the time from handing a re-inject to the connection until the
	// server module acknowledged it: ampd_reinject_ack_seconds.
	ReinjectAckLag prometheus.Histogram
	// RemoteChecks counts disco#info queries to remote domains and services (amp-semantics §8,
	// gateway identity): ampd_remote_checks_total{result}, result "supported" (advertises
	// AMP), "unsupported" (answered without it) or "failed" (error answer or time-out).
	RemoteChecks *prometheus.CounterVec
	// RemoteCacheHits counts next-hop checks answered from the cache without a query:
	// ampd_remote_cache_hits_total.
	RemoteCacheHits prometheus.Counter
	// HostPrivileged is 1 for a server host whose XEP-0356 announcement on the current
	// connection granted the presence permission, else 0: ampd_host_privileged{host}. Without
	// it ampd cannot see who is online on that host. The daemon creates a series per
	// configured host (ResetHosts), so that a host that never announces shows as 0.
	HostPrivileged *prometheus.GaugeVec
}

// RemoteCheckResults are the values of the result label of ampd_remote_checks_total.
var RemoteCheckResults = []string{"supported", "unsupported", "failed"}

// processingBuckets are the upper bounds of ampd_processing_seconds: 1µs to 100ms, about
// three per decade, where a decision normally takes microseconds and a roster look-up
// milliseconds.
var processingBuckets = []float64{
	1e-6, 2.5e-6, 5e-6,
	1e-5, 2.5e-5, 5e-5,
	1e-4, 2.5e-4, 5e-4,
	1e-3, 2.5e-3, 5e-3,
	1e-2, 2.5e-2, 5e-2,
	1e-1,
}

// New creates ampd's collectors and registers them on reg. It panics if one of them is
// already registered there, as prometheus.MustRegister does: that is a programming error.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ampd_messages_total",
			Help: "AMP requests decided, by verdict and by the action of the rule that was met (none: no rule met).",
		}, []string{"verdict", "action"}),
		ValidationErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ampd_validation_errors_total",
			Help: "AMP requests refused at validation, by error class.",
		}, []string{"class"}),
		Replies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ampd_replies_total",
			Help: "Replies sent to senders, by kind.",
		}, []string{"kind"}),
		ComponentConnected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ampd_component_connected",
			Help: "1 while the component connection to the XMPP server is established, else 0.",
		}),
		ComponentReconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ampd_component_reconnects_total",
			Help: "Reconnections of the component to the XMPP server.",
		}),
		PresenceResources: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ampd_presence_resources",
			Help: "Available resources tracked in the presence table.",
		}),
		Processing: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "ampd_processing_seconds",
			Help:    "Time to decide an AMP request, from reading it to queueing its verdict.",
			Buckets: processingBuckets,
		}),
		StanzasSkipped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ampd_stanzas_skipped_total",
			Help: "Stanzas from the XMPP server that ampd ignored, by reason.",
		}, []string{"reason"}),
		DuplicateRoutes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ampd_duplicate_routes_total",
			Help: "Diverted requests whose route id was already being processed or decided.",
		}),
		ConfigLastReloadSuccessful: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ampd_config_last_reload_successful",
			Help: "1 if the last configuration load or reload succeeded, else 0.",
		}),
		ConfigLastReloadSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ampd_config_last_reload_success_timestamp_seconds",
			Help: "Unix time of the last successful configuration load or reload.",
		}),
		RosterFetchFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ampd_roster_fetch_failures_total",
			Help: "Roster reads from the XMPP server that failed or timed out.",
		}),
		HeldRecovery: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ampd_held_recovery_seconds",
			Help: "Time taken at start to load the held messages and schedule their deadlines.",
		}),
		Reinjects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ampd_reinjects_total",
			Help: "Held-message stanzas handed to the server module, by kind (release, reply).",
		}, []string{"kind"}),
		ReinjectAcks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ampd_reinject_acks_total",
			Help: "Re-injects acknowledged by the server module.",
		}),
		ReinjectAckLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "ampd_reinject_ack_seconds",
			Help:    "Time from sending a re-inject to the server module's acknowledgement.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 9), // 0.5 ms … 33 s
		}),
		RemoteChecks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ampd_remote_checks_total",
			Help: "disco#info queries to remote domains and services, by result (supported, unsupported, failed).",
		}, []string{"result"}),
		RemoteCacheHits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ampd_remote_cache_hits_total",
			Help: "Remote next-hop checks answered from the cache.",
		}),
		HostPrivileged: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ampd_host_privileged",
			Help: "1 if the server host granted the XEP-0356 presence permission on the current connection, else 0.",
		}, []string{"host"}),
	}
	m.HeldMessages = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "ampd_held_messages",
		Help: "Messages held by ampd until their recipient is available or their expire-at rule fires.",
	}, func() float64 {
		if count := m.heldCount.Load(); count != nil {
			return float64((*count)())
		}
		return 0
	})
	reg.MustRegister(
		m.HeldMessages, m.HeldRecovery, m.Reinjects, m.ReinjectAcks, m.ReinjectAckLag,
		m.Messages, m.ValidationErrors, m.Replies,
		m.ComponentConnected, m.ComponentReconnects, m.PresenceResources,
		m.Processing, m.StanzasSkipped, m.DuplicateRoutes,
		m.ConfigLastReloadSuccessful, m.ConfigLastReloadSuccess, m.RosterFetchFailures,
		m.RemoteChecks, m.RemoteCacheHits, m.HostPrivileged,
	)
	m.initialiseLabels()
	return m
}

// initialiseLabels creates every labelled series at 0.
func (m *Metrics) initialiseLabels() {
	for _, v := range verdicts {
		for _, a := range actions {
			m.Messages.WithLabelValues(v, a)
		}
	}
	for _, c := range validationClasses {
		m.ValidationErrors.WithLabelValues(c)
	}
	for _, k := range replyKinds {
		m.Replies.WithLabelValues(k)
	}
	for _, r := range skipReasons {
		m.StanzasSkipped.WithLabelValues(r)
	}
	for _, k := range []string{"release", "reply"} {
		m.Reinjects.WithLabelValues(k)
	}
	for _, r := range RemoteCheckResults {
		m.RemoteChecks.WithLabelValues(r)
	}
}

// ResetHosts sets ampd_host_privileged to 0 for each configured server host, and drops the
// series of any other host: none has announced its permissions (yet, or on this connection).
func (m *Metrics) ResetHosts(hosts []string) {
	m.HostPrivileged.Reset()
	for _, h := range hosts {
		m.HostPrivileged.WithLabelValues(h).Set(0)
	}
}

// CountHeldFrom makes ampd_held_messages read count at each scrape: the held-message manager's
// own count, never a copy that could lag behind it.
func (m *Metrics) CountHeldFrom(count func() int) { m.heldCount.Store(&count) }
