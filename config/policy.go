package config

import (
	"fmt"

	"github.com/ampd-xmpp/ampd/resolver"
)

// Policy returns what the resolver needs of the configuration: the enabled features
// ([amp]), the presence policy ([privacy]), amp.remote_unsupported, amp.gateways,
// amp.forwarded and server.reply_from. The lists are c's own: clone them to keep them.
// c must be valid (Load validated it); the error only covers a registry change since.
func (c *Config) Policy() (resolver.Policy, error) {
	f, err := c.Features()
	if err != nil {
		return resolver.Policy{}, err
	}
	p := resolver.Policy{
		Features:          f,
		LocalHosts:        c.Server.Hosts,
		Presence:          presencePolicies[c.Privacy.PresencePolicy],
		RemoteUnsupported: remoteUnsupported[c.AMP.RemoteUnsupported],
		Gateways:          c.AMP.Gateways,
		Forwarded:         c.AMP.Forwarded,
	}
	if c.Server.ReplyFrom == ReplyFromComponent {
		p.ReplyFrom = c.Component.Domain
	}
	return p, nil
}

// Features returns the AMP features [amp] enables: what is validated and announced.
func (c *Config) Features() (resolver.Features, error) {
	f, err := resolver.NewFeatures(c.AMP.Actions, c.AMP.Conditions, c.AMP.ConditionValues())
	if err != nil {
		return resolver.Features{}, fmt.Errorf("config: [amp]: %w", err)
	}
	return f, nil
}

var presencePolicies = map[string]resolver.PresencePolicy{
	PolicyRoster: resolver.PresenceRoster, PolicySameDomain: resolver.PresenceSameDomain, PolicyOff: resolver.PresenceOff,
}

var remoteUnsupported = map[string]resolver.RemoteUnsupported{
	RemoteError: resolver.RemoteError, RemoteStrip: resolver.RemoteStrip, RemotePass: resolver.RemotePass,
}
