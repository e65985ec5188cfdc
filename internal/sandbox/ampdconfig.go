package main

import (
	"time"

	"github.com/ampd-xmpp/ampd/config"
)

// ampdSettings are the values of the sandbox's ampd configuration.
type ampdSettings struct {
	componentAddr, componentDomain, secret string
	host                                   string
	httpListen                             string
}

// ampdConfigHeader heads the sandbox's ampd.toml.
const ampdConfigHeader = "Written by `make run` (internal/sandbox); rewritten at every run.\n" +
	"Reference: docs/CONFIGURATION.md. privacy.presence_policy is the XEP-0079 §9 default\n" +
	"(roster): alice and bob share a mutual subscription, so they may use presence-revealing\n" +
	"rules with each other. store.path is relative to this file's directory."

// ampdConfig is the sandbox's ampd configuration: the defaults with the sandbox's
// connection, a store next to the file, and info logs as text.
func ampdConfig(s ampdSettings) *config.Config {
	c := config.Default()
	c.Component.Address, c.Component.Domain, c.Component.Secret = s.componentAddr, s.componentDomain, s.secret
	c.Component.ReconnectMin, c.Component.ReconnectMax = 200*time.Millisecond, 5*time.Second
	c.Server.Hosts = []string{s.host}
	c.Privacy.PresencePolicy = config.PolicyRoster
	c.Store.Path = "ampd.db"
	c.HTTP.Listen = s.httpListen
	c.Log.Level, c.Log.Format = "info", "text"
	return c
}
