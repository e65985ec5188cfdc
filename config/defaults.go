package config

import (
	"time"

	"github.com/ampd-xmpp/ampd/component"
)

// Default returns the configuration with every default filled in. The required keys
// (component.address, component.domain, component.secret or component.secret_file,
// server.hosts) are left empty, so Default() alone does not validate.
func Default() *Config {
	c := &Config{
		Component: Component{
			MaxStanzaBytes:   component.DefaultMaxStanzaBytes,
			Keepalive:        60 * time.Second,
			DialTimeout:      10 * time.Second,
			HandshakeTimeout: 10 * time.Second,
			ReconnectMin:     500 * time.Millisecond,
			ReconnectMax:     30 * time.Second,
			MaxQueued:        10000,
		},
		Server: Server{
			Hosts:     []string{},
			ReplyFrom: ReplyFromServer,
		},
		AMP: defaultAMP(),
		Privacy: Privacy{
			PresencePolicy:  PolicyRoster,
			RosterCacheTTL:  30 * time.Second,
			RosterCacheSize: 10000,
		},
		Store: Store{Backend: BackendEmbedded, Path: "ampd.db", LeaseTTL: 3 * time.Second},
		HTTP:  HTTP{Listen: "127.0.0.1:9479"},
		Log:   Log{Level: "info", Format: "text"},
	}
	c.AMP.Gateways = []string{}
	c.AMP.Forwarded = []string{}
	c.AMP.RemoteUnsupported = RemoteError
	c.AMP.RemoteCacheTTL = 24 * time.Hour
	c.AMP.RemoteNegativeTTL = 10 * time.Minute
	c.AMP.RemoteTimeout = 10 * time.Second
	return c
}

// The limits of component.max_stanza_bytes.
const (
	MinStanzaBytes = 1 << 10
	MaxStanzaBytes = 16 << 20
)
