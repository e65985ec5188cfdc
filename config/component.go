package config

import (
	"log/slog"

	"github.com/ampd-xmpp/ampd/component"
)

// Client is the XEP-0114 connection's configuration from [component].
func (c Component) Client(log *slog.Logger) component.Config {
	return component.Config{
		Address:          c.Address,
		Domain:           c.Domain,
		Secret:           c.Secret,
		MaxStanzaBytes:   c.MaxStanzaBytes,
		KeepAlive:        c.Keepalive,
		DialTimeout:      c.DialTimeout,
		HandshakeTimeout: c.HandshakeTimeout,
		BackoffMin:       c.ReconnectMin,
		BackoffMax:       c.ReconnectMax,
		MaxQueued:        c.MaxQueued * 1024, // max_queued counts stanzas; budget ~1 KiB each
		Logger:           log,
	}
}
