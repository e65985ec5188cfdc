package prosodytest

import (
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/route"
)

// The module answers a ping with its server and its options as configured (PROTOCOL.md §7).
func TestPing(t *testing.T) {
	s := startSandbox(t, Options{WhenDown: "pass", DownGrace: 9 * time.Second, MaxPending: 5, PendingTimeout: 7 * time.Second, ReinjectedMax: 20, ReinjectedMaxAge: 30 * time.Second})
	stub := connectStub(t, s)
	stub.send(t, route.AppendPing(nil, s.ComponentDomain, s.Host, "ping1"))
	raw := stub.expect(t, "pong", func(raw []byte) bool { _, ok := route.ParsePong(raw); return ok })
	p, _ := route.ParsePong(raw)
	want := route.Pong{ID: "ping1", Host: s.Host, Server: "prosody", ServerVersion: p.ServerVersion, WhenDown: "pass", DownGrace: 9,
		MaxPending: 5, PendingTimeout: 7, ReinjectedMax: 20, ReinjectedAge: 30, Retained: 0}
	if p != want || p.ServerVersion == "" {
		t.Errorf("pong %+v, want %+v with a server version", p, want)
	}
}
