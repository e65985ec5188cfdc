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
	rosterTTL time.Duration // 0 disables the roster cache
	rosterMax int

	remoteTTL, remoteNegativeTTL, remoteTimeout time.Duration
}

func newSettings(cfg *config.Config) (*settings, error) {
	p, err := cfg.Policy()
	if err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	p.LocalHosts, p.Gateways, p.Forwarded = slices.Clone(p.LocalHosts), slices.Clone(p.Gateways), slices.Clone(p.Forwarded)
	return &settings{
		policy: p, disco: p.Features.Disco(),
		rosterTTL: cfg.Privacy.RosterCacheTTL, rosterMax: cfg.Privacy.RosterCacheSize,
		remoteTTL: cfg.AMP.RemoteCacheTTL, remoteNegativeTTL: cfg.AMP.RemoteNegativeTTL, remoteTimeout: cfg.AMP.RemoteTimeout,
	}, nil
}
