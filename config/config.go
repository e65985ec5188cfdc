// Package config loads ampd's configuration: one strict TOML file.
//
// Decoding is strict (an unknown key is an error), defaults are filled in before the file is
// decoded over them, and the result is validated as a whole, so an invalid configuration never
// reaches the daemon. Every error names the key at fault and says what to do about it.
//
// Reloading (SIGHUP) is atomic: the caller loads a fresh *Config with Load, keeps the running
// one if that fails, and otherwise asks the running one which changes it can take
// (Reloadable, ApplyReloadable) before swapping the result in, e.g. through an
// atomic.Pointer[Config].
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Config is the whole configuration of ampd. Field comments give the TOML key.
type Config struct {
	Component Component `toml:"component"`
	Server    Server    `toml:"server"`
	AMP       AMP       `toml:"amp"`
	Privacy   Privacy   `toml:"privacy"`
	Store     Store     `toml:"store"`
	HTTP      HTTP      `toml:"http"`
	Log       Log       `toml:"log"`
}

// Component is the XEP-0114 connection to the XMPP server. Not reloadable.
type Component struct {
	Address string `toml:"address"` // component.address: host:port of the server's component port
	// Addresses is component.addresses, the component ports of every node of an ejabberd
	// cluster, tried in turn (instead of component.address; validation sets Address to the
	// first).
	Addresses []string `toml:"addresses"`
	Domain    string   `toml:"domain"` // component.domain: the component's own domain (normalised)
	// Secret is the shared secret: component.secret, or the content of component.secret_file
	// with surrounding white space removed. Never log it.
	Secret string `toml:"secret"`
	// SecretFile is component.secret_file, resolved against the configuration file's directory
	// by Load; "" when the secret is given inline.
	SecretFile       string        `toml:"secret_file"`
	MaxStanzaBytes   int           `toml:"max_stanza_bytes"`  // component.max_stanza_bytes
	Keepalive        time.Duration `toml:"keepalive"`         // component.keepalive; 0 disables
	DialTimeout      time.Duration `toml:"dial_timeout"`      // component.dial_timeout
	HandshakeTimeout time.Duration `toml:"handshake_timeout"` // component.handshake_timeout
	ReconnectMin     time.Duration `toml:"reconnect_min"`     // component.reconnect_min
	ReconnectMax     time.Duration `toml:"reconnect_max"`     // component.reconnect_max
	MaxQueued        int           `toml:"max_queued"`        // component.max_queued
}

// Server describes the XMPP server ampd serves.
type Server struct {
	// Hosts are the XMPP hosts whose server module diverts to ampd (announce targets),
	// normalised. server.hosts; not reloadable.
	Hosts []string `toml:"hosts"`
	// ReplyFrom is who AMP replies come from: ReplyFromServer or ReplyFromComponent.
	// server.reply_from; not reloadable.
	ReplyFrom string `toml:"reply_from"`
}

// The values of server.reply_from.
const (
	ReplyFromServer    = "server"    // replies come from the recipient host's domain
	ReplyFromComponent = "component" // replies come from component.domain
)

// AMP is what ampd enables: the single source of truth for validation and for what is
// advertised in service discovery. Reloadable.
type AMP struct {
	Actions             []string `toml:"actions"`               // amp.actions
	Conditions          []string `toml:"conditions"`            // amp.conditions
	DeliverValues       []string `toml:"deliver_values"`        // amp.deliver_values
	MatchResourceValues []string `toml:"match_resource_values"` // amp.match_resource_values
	Gateways            []string `toml:"gateways"`              // amp.gateways: gateway domains (normalised)
	Forwarded           []string `toml:"forwarded"`             // amp.forwarded: forwarded bare JIDs (normalised)
	// RemoteUnsupported is amp.remote_unsupported: what happens to a request for a remote
	// recipient whose server does not advertise AMP (amp-semantics §8): RemoteError,
	// RemoteStrip or RemotePass.
	RemoteUnsupported string        `toml:"remote_unsupported"`
	RemoteCacheTTL    time.Duration `toml:"remote_cache_ttl"`    // amp.remote_cache_ttl: how long a disco#info answer is kept
	RemoteNegativeTTL time.Duration `toml:"remote_negative_ttl"` // amp.remote_negative_ttl: how long "no AMP" or a failure is kept
	RemoteTimeout     time.Duration `toml:"remote_timeout"`      // amp.remote_timeout: how long ampd waits for a disco#info answer
}

// The values of amp.remote_unsupported.
const (
	RemoteError = "error" // refuse with service-unavailable; the message is not sent (the XEP's behaviour)
	RemoteStrip = "strip" // send the message without its <amp/>
	RemotePass  = "pass"  // send the message as it is
)

// Privacy is the XEP-0079 §9 presence policy. Reloadable.
type Privacy struct {
	// PresencePolicy is privacy.presence_policy: PolicyRoster, PolicySameDomain or PolicyOff.
	PresencePolicy  string        `toml:"presence_policy"`
	RosterCacheTTL  time.Duration `toml:"roster_cache_ttl"`  // privacy.roster_cache_ttl; 0 disables the cache
	RosterCacheSize int           `toml:"roster_cache_size"` // privacy.roster_cache_size: rosters kept
}

// The values of privacy.presence_policy.
const (
	PolicyRoster     = "roster"      // the recipient's roster must give the sender from/both
	PolicySameDomain = "same-domain" // any sender of a local host is trusted, others need the roster
	PolicyOff        = "off"         // every sender is trusted
)

// Store is the durable store of held messages. Not reloadable.
type Store struct {
	// Backend is store.backend: BackendEmbedded (a file, one ampd) or BackendPostgres (a
	// PostgreSQL database, shared by an active ampd and its standbys).
	Backend string `toml:"backend"`
	// Path is store.path, resolved against the configuration file's directory by Load; used by
	// the embedded backend only.
	Path string `toml:"path"`
	// DSN is the PostgreSQL connection string: store.dsn, or the content of store.dsn_file with
	// surrounding white space removed. It may hold a password: never log it.
	DSN string `toml:"dsn"`
	// DSNFile is store.dsn_file, resolved against the configuration file's directory by Load;
	// "" when the DSN is given inline.
	DSNFile string `toml:"dsn_file"`
	// LeaseTTL is store.lease_ttl: how long the active ampd's lease on a PostgreSQL store lasts
	// without renewal; a standby takes over at most this long after the active one died.
	LeaseTTL time.Duration `toml:"lease_ttl"`
}

// The values of store.backend.
const (
	BackendEmbedded = "embedded" // a bbolt file at store.path
	BackendPostgres = "postgres" // a PostgreSQL database at store.dsn
)

// HTTP is the operations endpoint (/metrics, /healthz, /readyz). Not reloadable.
type HTTP struct {
	Listen string `toml:"listen"` // http.listen: host:port; "" disables the endpoint
}

// Log configures logging.
type Log struct {
	Level  string `toml:"level"`  // log.level: debug, info, warn or error; reloadable
	Format string `toml:"format"` // log.format: text or json; not reloadable
}

// Load reads, decodes and validates the configuration file at path. Relative paths in it
// (component.secret_file, store.path, store.dsn_file) are taken relative to the file's directory.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w; pass the path of an existing file with --config", err)
	}
	return parse(data, filepath.Dir(path))
}

// Parse decodes and validates a configuration from data. Relative paths in it stay relative,
// that is, to the working directory; component.secret_file is read.
func Parse(data []byte) (*Config, error) {
	return parse(data, "")
}

func parse(data []byte, dir string) (*Config, error) {
	cfg := Default()
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(cfg)
	if err != nil {
		return nil, decodeError(err)
	}
	if err := unknownKeys(md, data); err != nil {
		return nil, err
	}
	if err := durationsAreStrings(md, data); err != nil {
		return nil, err
	}
	cfg.resolvePaths(dir)
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := cfg.readSecretFile(); err != nil {
		return nil, err
	}
	if err := cfg.Store.readDSN(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// decodeError rewrites a TOML syntax or type error so that it starts with the package name,
// names the key and its line the way the other errors do, and says what to do.
func decodeError(err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		hint := "; correct the TOML syntax"
		if strings.HasPrefix(pe.Message, "invalid duration") {
			hint = `; write a duration with a unit, such as "30s" or "500ms"`
		}
		if pe.LastKey != "" {
			return fmt.Errorf("config: %s (line %d): %s%s", pe.LastKey, pe.Position.Line, pe.Message, hint)
		}
		return fmt.Errorf("config: line %d: %s%s", pe.Position.Line, pe.Message, hint)
	}
	// Type mismatches come as plain errors: "toml: line N (last key "K"): MESSAGE".
	if m := typeError.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Errorf("config: %s (line %s): %s; write a value of the type docs/CONFIGURATION.md gives", m[2], m[1], m[3])
	}
	return fmt.Errorf("config: %w", err)
}

var typeError = regexp.MustCompile(`^toml: line (\d+) \(last key "([^"]*)"\): (.*)$`)

// resolvePaths makes relative file paths relative to dir (the configuration file's).
func (c *Config) resolvePaths(dir string) {
	if dir == "" {
		return
	}
	resolve := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	c.Component.SecretFile = resolve(c.Component.SecretFile)
	c.Store.Path = resolve(c.Store.Path)
	c.Store.DSNFile = resolve(c.Store.DSNFile)
}
