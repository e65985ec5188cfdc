package daemon

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ampd-xmpp/ampd/config"
)

// ampd_host_privileged follows each host's announcement: 0 until the presence permission is
// granted, 0 for a host that grants none, 1 for a host that grants it.
func TestHostPrivilegedMetric(t *testing.T) {
	const other = "other.localhost"
	h := connect(t, func(c *config.Config) { c.Server.Hosts = []string{host, other} })
	privileged := func(hostname string) float64 {
		return testutil.ToFloat64(h.metrics.HostPrivileged.WithLabelValues(hostname))
	}
	if a, b := privileged(host), privileged(other); a != 0 || b != 0 {
		t.Fatalf("before any announcement: %s=%v %s=%v, want 0 0", host, a, other, b)
	}
	h.send(`<message from='` + host + `' to='amp.localhost'><privilege xmlns='urn:xmpp:privilege:2'><perm access='presence' type='managed_entity'/></privilege></message>`)
	h.expect(`<message from='amp.localhost' to='` + host + `'><announce xmlns='urn:x-ampd:route:0'>` + announced + `</announce></message>`)
	// A grant without the presence permission still lets ampd announce itself there (it
	// logs what is missing), but the host does not count as privileged.
	h.send(`<message from='` + other + `' to='amp.localhost'><privilege xmlns='urn:xmpp:privilege:2'><perm access='roster' type='get'/></privilege></message>`)
	h.expect(`<message from='amp.localhost' to='` + other + `'><announce xmlns='urn:x-ampd:route:0'>` + announced + `</announce></message>`)
	if a, b := privileged(host), privileged(other); a != 1 || b != 0 {
		t.Errorf("after the announcements: %s=%v %s=%v, want 1 0", host, a, other, b)
	}
	if n := testutil.CollectAndCount(h.metrics.HostPrivileged); n != 2 {
		t.Errorf("ampd_host_privileged has %d series, want one per configured host (2)", n)
	}
}
