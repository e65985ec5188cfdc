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
	features  resolver.Features
	disco     []string
	policy    string // config.PolicyRoster, PolicySameDomain or PolicyOff
	gateways  []string
	forwarded []string
	rosterTTL int64 // nanoseconds; 0 disables the roster cache
	rosterMax int

	remoteUnsupported string // config.RemoteError, RemoteStrip or RemotePass
	remoteTTL         time.Duration
	remoteNegativeTTL time.Duration
	remoteTimeout     time.Duration
}

func newSettings(cfg *config.Config) (*settings, error) {
	f, err := resolver.NewFeatures(cfg.AMP.Actions, cfg.AMP.Conditions, cfg.AMP.DeliverValues, cfg.AMP.MatchResourceValues)
	if err != nil {
		return nil, fmt.Errorf("daemon: [amp]: %w", err)
	}
	return &settings{
		features:  f,
		disco:     f.Disco(),
		policy:    cfg.Privacy.PresencePolicy,
		gateways:  slices.Clone(cfg.AMP.Gateways),
		forwarded: slices.Clone(cfg.AMP.Forwarded),
		rosterTTL: int64(cfg.Privacy.RosterCacheTTL),
		rosterMax: cfg.Privacy.RosterCacheSize,

		remoteUnsupported: cfg.AMP.RemoteUnsupported,
		remoteTTL:         cfg.AMP.RemoteCacheTTL,
		remoteNegativeTTL: cfg.AMP.RemoteNegativeTTL,
		remoteTimeout:     cfg.AMP.RemoteTimeout,
	}, nil
}
