// Package monitoring ships ampd's Prometheus alerting rules (ampd-alerts.yml, unit-tested by
// promtool with ampd-alerts_test.yml) and a Grafana dashboard (ampd-dashboard.json). It has no
// code: its Go test checks that every query of both names only metrics and labels that ampd
// exports, read from the registry ampd serves.
package monitoring
