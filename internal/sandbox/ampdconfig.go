package main

import (
	"fmt"
	"strconv"
)

// ampdSettings are the values of the sandbox's ampd configuration.
type ampdSettings struct {
	componentAddr, componentDomain, secret string
	host                                   string
	httpListen                             string
}

// ampdConfig renders ampd.toml for the sandbox. Relative paths in it are
// relative to the file's directory, so the store lands next to it.
func ampdConfig(s ampdSettings) string {
	return fmt.Sprintf(`# Written by `+"`make run`"+` (internal/sandbox); rewritten at every run.
# Reference: docs/CONFIGURATION.md.

[component]
address = %s
domain = %s
secret = %s
reconnect_min = "200ms"
reconnect_max = "5s"

[server]
hosts = [%s]

[privacy]
# The XEP-0079 §9 default: alice and bob share a mutual subscription, so they
# may use presence-revealing rules with each other.
presence_policy = "roster"

[store]
path = "ampd.db"

[http]
listen = %s

[log]
level = "info"
format = "text"
`, strconv.Quote(s.componentAddr), strconv.Quote(s.componentDomain), strconv.Quote(s.secret),
		strconv.Quote(s.host), strconv.Quote(s.httpListen))
}
