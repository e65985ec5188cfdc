package route

import (
	"strconv"

	"github.com/ampd-xmpp/ampd/xmlscan"
)

// AppendPing appends a ping from component to host's module (PROTOCOL.md §7): the module
// answers with a Pong naming its server and options. ampd doctor uses it.
func AppendPing(dst []byte, component, host, id string) []byte {
	dst = appendOpen(dst, component, host)
	dst = append(dst, "<ping xmlns='"+NS+"' id='"...)
	dst = xmlscan.AppendEscaped(dst, id)
	return append(dst, "'/></message>"...)
}

// Pong is a module's answer to a ping.
type Pong struct {
	ID, Host       string // the ping's id; the host whose module answered
	Server         string // "prosody" or "ejabberd"
	ServerVersion  string
	WhenDown       string // bounce or pass
	DownGrace      int    // seconds requests are kept while ampd is away (-1: an older module)
	MaxPending     int    // retained requests at most
	PendingTimeout int    // seconds a request waits for its verdict
	ReinjectedMax  int    // re-inject keys remembered
	ReinjectedAge  int    // seconds a re-inject key is remembered
	Retained       int    // requests retained when the module answered
}

// ParsePong reads a module's answer to a ping; ok is false for any other stanza. A number
// the module did not send, or sent malformed, reads as -1.
func ParsePong(raw []byte) (p Pong, ok bool) {
	root, err := xmlscan.Parse(raw)
	if err != nil || string(root.Local()) != "message" {
		return Pong{}, false
	}
	el, found := root.Child(NS, "pong")
	if !found || el.AttrValue("id") == "" {
		return Pong{}, false
	}
	number := func(name string) int {
		n, err := strconv.Atoi(el.AttrValue(name))
		if err != nil || n < 0 {
			return -1
		}
		return n
	}
	return Pong{
		ID:             el.AttrValue("id"),
		Host:           root.AttrValue("from"),
		Server:         el.AttrValue("server"),
		ServerVersion:  el.AttrValue("server_version"),
		WhenDown:       el.AttrValue("when_down"),
		DownGrace:      number("down_grace"),
		MaxPending:     number("max_pending"),
		PendingTimeout: number("pending_timeout"),
		ReinjectedMax:  number("reinjected_max"),
		ReinjectedAge:  number("reinjected_max_age"),
		Retained:       number("retained"),
	}, true
}
