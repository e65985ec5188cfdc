package ops

import (
	"encoding/json"
	"net/http"
)

// Status is what /status reports of a running ampd, as JSON; ampd doctor reads it when ampd
// holds the component connection.
type Status struct {
	Version           string       `json:"version"`
	Connected         bool         `json:"connected"` // the XEP-0114 connection is up
	Ready             string       `json:"ready"`     // "ok", or why ampd cannot process AMP requests
	Hosts             []HostStatus `json:"hosts"`     // one per host of server.hosts
	Held              int          `json:"held"`      // messages held (expire-at, recipient offline)
	PresenceResources int          `json:"presence_resources"`
}

// HostStatus is the state of one XMPP host of server.hosts.
type HostStatus struct {
	Host string `json:"host"`
	// Privileged: the host granted the XEP-0356 presence permission on the current connection.
	Privileged bool `json:"privileged"`
}

// StatusSource gives the current Status; it is asked on every request.
type StatusSource interface {
	Status() Status
}

// statusHandler answers /status with src's Status as JSON, never cached.
func statusHandler(src StatusSource) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(src.Status())
	})
}
