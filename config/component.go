package config

import (
	"log/slog"

	"github.com/ampd-xmpp/ampd/component"
)

// fallbacks are the component ports tried after component.address: the rest of
// component.addresses.
func (c Component) fallbacks() []string {
	if len(c.Addresses) < 2 {
		return nil
	}
	return c.Addresses[1:]
}

// Client is the XEP-0114 connection's configuration from [component].
func (c Component) Client(log *slog.Logger) component.Config {
	return component.Config{
		Address:          c.Address,
		Fallbacks:        c.fallbacks(),
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
