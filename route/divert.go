package route

import (
	"errors"
	"fmt"

	"github.com/ampd-xmpp/ampd/xmlscan"
)

// Origin is where the server received a diverted message from.
type Origin string

// The origins of the wire protocol.
const (
	OriginC2S Origin = "c2s"
	OriginS2S Origin = "s2s"
)

// Divert is one AMP request the server module handed to ampd, awaiting a verdict.
type Divert struct {
	Host      string // the server host that diverted it (the outer message's from)
	ID        string // ROUTE-ID
	Origin    Origin
	Recipient string // local | unknown | remote | service
	Offline   string // store | none
	// Message is the inner <message/> exactly as the server sent it: a sub-slice of the input.
	// ParseDivert does not check it in full (only its extent, see xmlscan.Scanner.Skip): it
	// must go through a full parse such as amp.ParseMessage before anything in it is trusted.
	Message []byte
	// Slim is the divert's message='slim': Message is the request cut down to what a decision
	// needs (its start tag and its <amp/>, docs/PROTOCOL.md §1). The server keeps the whole
	// message; ampd must not hold a slim one, whose body it never saw.
	Slim bool
}

// ErrNotDivert is returned by ParseDivert for a message that carries no <route/> element.
var ErrNotDivert = errors.New("route: not a diverted message")

// ParseDivert reads a divert message in one pass over its bytes. It returns ErrNotDivert when
// the stanza has no <route/> child, and a descriptive error when it has one but is malformed
// (the caller logs and skips it: without a valid route id no verdict can be addressed).
//
// The whole stanza is checked for well-formedness except the inner message, which is only
// skipped over: a divert whose inner message is malformed inside (a bad reference, a
// mismatched tag within it) is returned without error, and the full parse of Message that
// every caller owes it reports the fault (the daemon then refuses the message with a
// verdict, rather than leaving the module without one).
func ParseDivert(raw []byte) (Divert, error) {
	var (
		s                          xmlscan.Scanner
		d                          Divert
		route, inForward           bool
		origin, recipient, offline []byte
		form                       []byte
	)
	s.Reset(raw)
	for s.Next() {
		switch {
		case s.Depth() == 1 && s.IsStart():
			// Attributes are read through the iterator's accessors, declared outside the loop:
			// building an xmlscan.Attr, or a copy of the iterator per iteration, costs a
			// struct copy each that stalls on the stores just made.
			it := s.Attrs()
			for it.Next() {
				if string(it.Name()) == "from" {
					d.Host = value(raw, &it)
				}
			}
		case s.Depth() == 2 && s.IsStart() && s.Is(NS, "route"):
			route = true
			it := s.Attrs()
			for it.Next() {
				vs, ve := it.ValueRange()
				switch string(it.Name()) {
				case "id":
					d.ID = value(raw, &it)
				case "origin":
					origin = raw[vs:ve]
				case "recipient":
					recipient = raw[vs:ve]
				case "offline":
					offline = raw[vs:ve]
				case "message":
					form = raw[vs:ve]
				}
			}
		case s.Depth() == 2 && s.Is(NSForward, "forwarded"):
			inForward = s.IsStart()
		case s.Depth() == 3 && s.IsStart() && inForward && d.Message == nil && string(s.Local()) == "message" && isClientNS(&s):
			// The inner message is most of the bytes, and amp.ParseMessage checks it in full:
			// here it is only skipped over (see Divert.Message).
			start := s.Offset()
			if s.Skip() {
				e := s.Element()
				_, end := e.Range()
				d.Message = raw[start:end]
			}
		}
	}
	if err := s.Err(); err != nil {
		return Divert{}, fmt.Errorf("route: divert is not well-formed: %w", err)
	}
	if !route {
		return Divert{}, ErrNotDivert
	}
	var ok bool
	switch {
	case d.ID == "":
		return Divert{}, errors.New("route: divert without route id")
	case d.Host == "":
		return Divert{}, errors.New("route: divert without from (the server host)")
	}
	// The raw values go into errors as string copies: handing fmt the []byte views would
	// make the Scanner they were read through escape to the heap (~1 KiB on every divert).
	if d.Origin, ok = oneOf(origin, OriginC2S, OriginS2S); !ok {
		return Divert{}, fmt.Errorf("route: divert %q has unknown origin %q", d.ID, string(origin))
	}
	if d.Recipient, ok = oneOf(recipient, "local", "unknown", "remote", "service"); !ok {
		return Divert{}, fmt.Errorf("route: divert %q has unknown recipient kind %q", d.ID, string(recipient))
	}
	if d.Offline, ok = oneOf(offline, "store", "none"); !ok {
		return Divert{}, fmt.Errorf("route: divert %q has unknown offline value %q", d.ID, string(offline))
	}
	// message= is absent in a module older than the slim divert: the whole message.
	switch {
	case string(form) == "slim":
		d.Slim = true
	case form != nil && string(form) != "full":
		return Divert{}, fmt.Errorf("route: divert %q has unknown message form %q", d.ID, string(form))
	}
	if d.Message == nil {
		if !inForwardSeen(raw) {
			return Divert{}, fmt.Errorf("route: divert %q has no <forwarded/>", d.ID)
		}
		return Divert{}, fmt.Errorf("route: divert %q has no forwarded <message/>", d.ID)
	}
	return d, nil
}

// oneOf returns the constant that the raw attribute value spells, without allocating: the
// values of these attributes are a closed set.
func oneOf[T ~string](raw []byte, values ...T) (T, bool) {
	for _, v := range values {
		if string(raw) == string(v) {
			return v, true
		}
	}
	return "", false
}

// isClientNS reports whether the scanner's element is a stanza: jabber:client, jabber:server,
// or no namespace of its own inside <forwarded/> (servers differ in whether they repeat xmlns).
func isClientNS(s *xmlscan.Scanner) bool {
	return s.Is(NSClient, "message") || s.Is(NSForward, "message") || s.Is("jabber:server", "message")
}

// inForwardSeen tells the two "no message" errors apart; only on the error path.
func inForwardSeen(raw []byte) bool {
	root, err := xmlscan.Parse(raw)
	if err != nil {
		return false
	}
	_, ok := root.Child(NSForward, "forwarded")
	return ok
}

// value returns the unescaped value of the current attribute of it, an iterator over raw ("" when
// malformed), copying only once.
func value(raw []byte, it *xmlscan.Attrs) string {
	vs, ve := it.ValueRange()
	if it.Plain() {
		return string(raw[vs:ve])
	}
	v, err := xmlscan.UnescapeAttr(nil, raw[vs:ve])
	if err != nil {
		return ""
	}
	return string(v)
}
