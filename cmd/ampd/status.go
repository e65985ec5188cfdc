package main

import (
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/ampd-xmpp/ampd/metrics"
	"github.com/ampd-xmpp/ampd/ops"
)

// daemonStatus is the /status of a running ampd. It reads the gauges the daemon keeps
// current (connection, per-host permission, held messages, resources) rather than asking the
// daemon, so that the daemon needs no second copy of that state.
type daemonStatus struct {
	d     *activeDaemon // empty while a standby waits for the store's lease
	m     *metrics.Metrics
	hosts []string
}

func (s daemonStatus) Status() ops.Status {
	st := ops.Status{
		Version:           version,
		Connected:         gauge(s.m.ComponentConnected) == 1,
		Ready:             "ok",
		PresenceResources: int(gauge(s.m.PresenceResources)),
	}
	if d := s.d.Load(); d != nil {
		st.Held = d.Held()
	}
	if err := s.d.Ready(); err != nil {
		st.Ready = err.Error()
	}
	for _, h := range s.hosts {
		st.Hosts = append(st.Hosts, ops.HostStatus{Host: h, Privileged: gauge(s.m.HostPrivileged.WithLabelValues(h)) == 1})
	}
	return st
}

// gauge reads a gauge's current value.
func gauge(g prometheus.Gauge) float64 {
	var m dto.Metric
	if err := g.Write(&m); err != nil {
		return 0
	}
	return m.GetGauge().GetValue()
}
