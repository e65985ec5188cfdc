package component

import (
	"errors"
	"log/slog"
	"time"
)

// Config configures a Client. Zero durations and sizes take the defaults
// documented on each field.
type Config struct {
	Address string // host:port of the server's component listener (required)
	// Fallbacks are more component listeners of the same server (the other nodes of an
	// ejabberd cluster): after a failed attempt or a lost connection the next attempt goes to
	// the next address of Address, Fallbacks..., round and round.
	Fallbacks      []string
	Domain         string // the component's JID domain, e.g. "amp.localhost" (required)
	Secret         string // the shared secret of the component
	MaxStanzaBytes int    // largest stanza read from the server; the first bytes of a larger one go to an OversizeHandler (default DefaultMaxStanzaBytes)

	KeepAlive        time.Duration // a single space is written after this long without writing (default 60 s)
	DialTimeout      time.Duration // bound of one TCP connect (default 10 s)
	HandshakeTimeout time.Duration // bound from connect to the server's <handshake/> (default 10 s)
	WriteTimeout     time.Duration // bound of one Write; a server that stops reading is a failed connection (default 30 s)

	BackoffMin        time.Duration // first wait between attempts (default 500 ms)
	BackoffMax        time.Duration // the wait doubles up to this (default 30 s)
	ResetBackoffAfter time.Duration // a connection that lived this long resets the wait to BackoffMin (default 30 s)

	// MaxQueued bounds the outbound queue in bytes: the sum of the sizes of
	// the stanzas accepted by Send and not yet written (default 8 MiB).
	MaxQueued int

	Logger *slog.Logger // where to log (default: discard)
}

// Defaults of Config, used for zero fields.
const (
	// DefaultMaxStanzaBytes fits whatever the servers let in by default: their largest
	// stanza limit is s2s's 512 KiB (Prosody's s2s_stanza_size_limit, ejabberd's example
	// s2s max_stanza_size), and serialising a message for the divert can re-escape every
	// ' or " of its text as &apos; or &quot; (6 bytes for 1), plus the divert's envelope.
	DefaultMaxStanzaBytes    = 4 << 20
	DefaultKeepAlive         = 60 * time.Second
	DefaultDialTimeout       = 10 * time.Second
	DefaultHandshakeTimeout  = 10 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	DefaultBackoffMin        = 500 * time.Millisecond
	DefaultBackoffMax        = 30 * time.Second
	DefaultResetBackoffAfter = 30 * time.Second
	DefaultMaxQueued         = 8 << 20
)

// withDefaults returns cfg with every zero field set to its default.
func (cfg Config) withDefaults() Config {
	setDefault(&cfg.MaxStanzaBytes, DefaultMaxStanzaBytes)
	setDefault(&cfg.KeepAlive, DefaultKeepAlive)
	setDefault(&cfg.DialTimeout, DefaultDialTimeout)
	setDefault(&cfg.HandshakeTimeout, DefaultHandshakeTimeout)
	setDefault(&cfg.WriteTimeout, DefaultWriteTimeout)
	setDefault(&cfg.BackoffMin, DefaultBackoffMin)
	setDefault(&cfg.BackoffMax, DefaultBackoffMax)
	setDefault(&cfg.ResetBackoffAfter, DefaultResetBackoffAfter)
	setDefault(&cfg.MaxQueued, DefaultMaxQueued)
	cfg.BackoffMax = max(cfg.BackoffMax, cfg.BackoffMin)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// validate reports a configuration Run cannot work with.
func (cfg Config) validate() error {
	switch {
	case cfg.Address == "":
		return errors.New("component: Config.Address is empty")
	case cfg.Domain == "":
		return errors.New("component: Config.Domain is empty")
	}
	return nil
}
