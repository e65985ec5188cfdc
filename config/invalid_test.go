package config

import (
	"path/filepath"
	"testing"
)

// Each file of testdata/invalid-*.toml breaks exactly one rule; its error is given in full
// so that a change to any message is a deliberate one.
var invalidFiles = map[string]string{
	"invalid-syntax.toml":                           `config: component.address (line 2): strings cannot contain newlines; correct the TOML syntax`,
	"invalid-type.toml":                             `config: component.max_queued (line 5): incompatible types: TOML value has type string; destination has type integer; write a value of the type docs/CONFIGURATION.md gives`,
	"invalid-unknown-key.toml":                      `config: unknown key "component.secrett" (line 4); remove it or correct its spelling`,
	"invalid-unknown-table.toml":                    `config: unknown key "logging" (line 9); remove it or correct its spelling`,
	"invalid-duration-integer.toml":                 `config: component.keepalive (line 5): a duration must be a string with a unit, such as "30s" or "500ms"`,
	"invalid-duration-syntax.toml":                  `config: component.keepalive (line 5): invalid duration: "a minute"; write a duration with a unit, such as "30s" or "500ms"`,
	"invalid-address-format.toml":                   `config: component.address: "localhost" is not host:port; write it like "127.0.0.1:5347"`,
	"invalid-address-no-host.toml":                  `config: component.address: ":5347" has no host; name the XMPP server's host, e.g. "127.0.0.1:5347"`,
	"invalid-address-port.toml":                     `config: component.address: port "0" is not valid; use a number from 1 to 65535`,
	"invalid-addresses-both.toml":                   `config: component.address and component.addresses are both set; keep component.addresses (every node of the cluster) or component.address (one server)`,
	"invalid-addresses-format.toml":                 `config: component.addresses[1]: "127.0.0.2" is not host:port; write it like "127.0.0.1:5347"`,
	"invalid-domain-jid.toml":                       `config: component.domain: "amp@localhost" is not a valid domain; write a bare domain such as "example.org"`,
	"invalid-secret-missing.toml":                   `config: component.secret is required; set it, or component.secret_file, to the component's shared secret`,
	"invalid-secret-both.toml":                      `config: component.secret and component.secret_file are both set; keep exactly one of them`,
	"invalid-secret-file-empty.toml":                `config: component.secret_file: "testdata/empty.secret" is empty; write the shared secret into it`,
	"invalid-secret-file-missing.toml":              `config: component.secret_file: open testdata/no-such.secret: no such file or directory; point it at a readable file holding the shared secret`,
	"invalid-max-stanza-bytes.toml":                 `config: component.max_stanza_bytes: 512 is out of range; set it between 1024 and 16777216`,
	"invalid-keepalive-negative.toml":               `config: component.keepalive: must not be negative; use "0s" to disable keepalives`,
	"invalid-dial-timeout.toml":                     `config: component.dial_timeout: must be positive, e.g. "10s"`,
	"invalid-handshake-timeout.toml":                `config: component.handshake_timeout: must be positive, e.g. "10s"`,
	"invalid-reconnect-min.toml":                    `config: component.reconnect_min: must be positive, e.g. "10s"`,
	"invalid-reconnect-max.toml":                    `config: component.reconnect_max: 1s is shorter than component.reconnect_min (5s); make it at least as long`,
	"invalid-max-queued.toml":                       `config: component.max_queued: must not be negative; use 0 to queue nothing while disconnected`,
	"invalid-hosts-missing.toml":                    `config: server.hosts is required; list the XMPP hosts whose server module diverts to ampd, e.g. ["localhost"]`,
	"invalid-hosts-invalid.toml":                    `config: server.hosts: "user@localhost" is not a valid domain; write a bare domain such as "example.org"`,
	"invalid-hosts-duplicate.toml":                  `config: server.hosts: "localhost" is listed twice; list each entry once`,
	"invalid-hosts-component.toml":                  `config: server.hosts: "amp.localhost" is component.domain; list the XMPP hosts, not the component`,
	"invalid-reply-from.toml":                       `config: server.reply_from: "host" is not valid; use one of "server", "component"`,
	"invalid-amp-action-unknown.toml":               `config: amp.actions: unknown action "bounce"; valid ones are "alert", "drop", "error", "notify"`,
	"invalid-amp-action-duplicate.toml":             `config: amp.actions: "notify" is listed twice; list each entry once`,
	"invalid-amp-actions-empty.toml":                `config: amp.actions is empty; enable at least one action, or remove the key for all of them`,
	"invalid-amp-condition-unknown.toml":            `config: amp.conditions: unknown condition "expire-after"; valid ones are "deliver", "expire-at", "match-resource"`,
	"invalid-amp-conditions-empty.toml":             `config: amp.conditions is empty; enable at least one condition, or remove the key for all of them`,
	"invalid-amp-deliver-value-unknown.toml":        `config: amp.deliver_values: unknown deliver value "offline"; valid ones are "direct", "stored", "none", "forward", "gateway"`,
	"invalid-amp-deliver-values-empty.toml":         `config: amp.deliver_values is empty while amp.conditions enables "deliver"; list at least one value or remove "deliver" from amp.conditions`,
	"invalid-amp-match-resource-value-unknown.toml": `config: amp.match_resource_values: unknown match-resource value "all"; valid ones are "any", "exact", "other"`,
	"invalid-amp-match-resource-values-empty.toml":  `config: amp.match_resource_values is empty while amp.conditions enables "match-resource"; list at least one value or remove "match-resource" from amp.conditions`,
	"invalid-amp-gateway-invalid.toml":              `config: amp.gateways: "icq.example.org/x" is not a valid domain; write a bare domain such as "example.org"`,
	"invalid-amp-gateway-duplicate.toml":            `config: amp.gateways: "icq.example.org" is listed twice; list each entry once`,
	"invalid-amp-forwarded-invalid.toml":            `config: amp.forwarded: "alice@example.org/phone" is not a valid bare JID; write it as "user@example.org", without a resource`,
	"invalid-amp-forwarded-duplicate.toml":          `config: amp.forwarded: "alice@example.org" is listed twice; list each entry once`,
	"invalid-remote-unsupported.toml":               `config: amp.remote_unsupported: "drop" is not valid; use one of "error", "strip", "pass"`,
	"invalid-remote-cache-ttl.toml":                 `config: amp.remote_cache_ttl: must not be negative; use "0s" to ask the remote server every time`,
	"invalid-remote-negative-ttl.toml":              `config: amp.remote_negative_ttl: must not be negative; use "0s" to ask again every time`,
	"invalid-remote-timeout.toml":                   `config: amp.remote_timeout: must be positive, e.g. "10s"`,
	"invalid-presence-policy.toml":                  `config: privacy.presence_policy: "friends" is not valid; use one of "roster", "same-domain", "off"`,
	"invalid-roster-cache-ttl.toml":                 `config: privacy.roster_cache_ttl: must not be negative; use "0s" to disable the roster cache`,
	"invalid-roster-cache-size.toml":                `config: privacy.roster_cache_size: 0 is too small; set it to at least 1`,
	"invalid-store-path.toml":                       `config: store.path must not be empty; set it to the file where held messages are kept`,
	"invalid-store-backend.toml":                    `config: store.backend: "mysql" is not valid; use one of "embedded", "postgres"`,
	"invalid-store-dsn-missing.toml":                `config: store.dsn is required with store.backend = "postgres"; set it, or store.dsn_file, to a PostgreSQL connection string such as "postgres://ampd@db.example.org/ampd"`,
	"invalid-store-dsn-both.toml":                   `config: store.dsn and store.dsn_file are both set; keep exactly one of them`,
	"invalid-store-dsn-syntax.toml":                 "config: store.dsn: cannot parse `postgres://ampd@db:notaport/ampd`: invalid port; write a PostgreSQL connection string such as \"postgres://ampd@db.example.org/ampd\" or \"host=db.example.org user=ampd dbname=ampd\"",
	"invalid-store-dsn-embedded.toml":               `config: store.dsn and store.dsn_file are for store.backend = "postgres"; remove them, or set store.backend = "postgres"`,
	"invalid-store-dsn-file-empty.toml":             `config: store.dsn_file: "testdata/empty.secret" is empty; write the PostgreSQL connection string into it`,
	"invalid-store-lease-ttl.toml":                  `config: store.lease_ttl: 500ms is too short; set it to at least 1s`,
	"invalid-http-listen.toml":                      `config: http.listen: "localhost" is not host:port; write it like "127.0.0.1:9479"`,
	"invalid-http-listen-port.toml":                 `config: http.listen: port "99999" is not valid; use a number from 0 to 65535`,
	"invalid-log-level.toml":                        `config: log.level: "verbose" is not valid; use one of "debug", "info", "warn", "error"`,
	"invalid-log-format.toml":                       `config: log.format: "xml" is not valid; use one of "text", "json"`,
	"invalid-empty.toml": `config: component.address is required; set it to the server's component port, e.g. "127.0.0.1:5347" (or component.addresses to the component ports of every node of an ejabberd cluster)
config: component.domain is required; set it to the component's domain as configured in the XMPP server, e.g. "amp.localhost"
config: component.secret is required; set it, or component.secret_file, to the component's shared secret
config: server.hosts is required; list the XMPP hosts whose server module diverts to ampd, e.g. ["localhost"]`,
}

func TestInvalidFiles(t *testing.T) {
	for name, want := range invalidFiles {
		t.Run(name, func(t *testing.T) {
			cfg, err := Load(filepath.Join("testdata", name))
			if err == nil {
				t.Fatalf("Load accepted it: %+v", cfg)
			}
			if err.Error() != want {
				t.Errorf("error:\n got  %s\n want %s", err, want)
			}
		})
	}
}

// TestEveryInvalidFileHasAnExpectation keeps the table and the directory in step: a new
// invalid file without an expected message, or an entry whose file is gone, is a failure.
func TestEveryInvalidFileHasAnExpectation(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid-*.toml")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		name := filepath.Base(f)
		seen[name] = true
		if _, ok := invalidFiles[name]; !ok {
			t.Errorf("%s has no expected error in invalidFiles", name)
		}
	}
	for name := range invalidFiles {
		if !seen[name] {
			t.Errorf("invalidFiles expects %s, which does not exist", name)
		}
	}
}
