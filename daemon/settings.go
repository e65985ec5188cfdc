package daemon

import (
	"fmt"
	"slices"
	"time"

	"github.com/ampd-xmpp/ampd/config"
	"github.com/ampd-xmpp/ampd/resolver"
)

// settings are the values derived from the configuration that a SIGHUP may replace. A
// decision reads one settings value from start to end, so a reload never mixes two configs.
type settings struct {
	policy    resolver.Policy
	disco     []string
	gateways  []string
	forwarded []string
	rosterTTL time.Duration // 0 disables the roster cache
	rosterMax int

	remoteTTL         time.Duration
	remoteNegativeTTL time.Duration
	remoteTimeout     time.Duration
}

func newSettings(cfg *config.Config) (*settings, error) {
	f, err := resolver.NewFeatures(cfg.AMP.Actions, cfg.AMP.Conditions, cfg.AMP.ConditionValues())
	if err != nil {
		return nil, fmt.Errorf("daemon: [amp]: %w", err)
	}
	p := resolver.Policy{
		Features:          f,
		LocalHosts:        slices.Clone(cfg.Server.Hosts),
		Presence:          map[string]resolver.PresencePolicy{config.PolicyRoster: resolver.PresenceRoster, config.PolicySameDomain: resolver.PresenceSameDomain, config.PolicyOff: resolver.PresenceOff}[cfg.Privacy.PresencePolicy],
		RemoteUnsupported: map[string]resolver.RemoteUnsupported{config.RemoteError: resolver.RemoteError, config.RemoteStrip: resolver.RemoteStrip, config.RemotePass: resolver.RemotePass}[cfg.AMP.RemoteUnsupported],
	}
	if cfg.Server.ReplyFrom == config.ReplyFromComponent {
		p.ReplyFrom = cfg.Component.Domain
	}
	return &settings{
		policy:    p,
		disco:     f.Disco(),
		gateways:  slices.Clone(cfg.AMP.Gateways),
		forwarded: slices.Clone(cfg.AMP.Forwarded),
		rosterTTL: cfg.Privacy.RosterCacheTTL,
		rosterMax: cfg.Privacy.RosterCacheSize,

		remoteTTL:         cfg.AMP.RemoteCacheTTL,
		remoteNegativeTTL: cfg.AMP.RemoteNegativeTTL,
		remoteTimeout:     cfg.AMP.RemoteTimeout,
	}, nil
}
