package doctor

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/ampd-xmpp/ampd/component"
	"github.com/ampd-xmpp/ampd/config"
	"github.com/ampd-xmpp/ampd/route"
	"github.com/ampd-xmpp/ampd/xmlscan"
	"github.com/ampd-xmpp/ampd/xmlstream"
)

const nsDiscoInfo = "http://jabber.org/protocol/disco#info"

// session is doctor's own component connection: what the server sends it is read in order
// by the checks (next), and counted where it is only counted (presence).
type session struct {
	domain    string
	client    *component.Client
	up        chan struct{}
	in        chan []byte
	stop      context.CancelFunc
	done      chan struct{}
	privs     map[string]route.Privilege // by host
	presences int
	iqs       int
}

func (s *session) Connected() {
	select {
	case s.up <- struct{}{}:
	default:
	}
}

// Stanza keeps what the checks read. A server that floods the component (thousands of users
// online) fills the buffer; the rest only adds to what was already seen, so it is dropped.
func (s *session) Stanza(raw []byte) {
	select {
	case s.in <- append([]byte(nil), raw...):
	default:
	}
}

func (s *session) Disconnected(error) {}

// connect makes one attempt to connect and authenticate; the error is the server's answer
// (a *component.StreamError) or what stopped the attempt.
func connect(ctx context.Context, cfg *config.Config) (*session, error) {
	s := &session{
		domain: cfg.Component.Domain,
		up:     make(chan struct{}, 1),
		in:     make(chan []byte, 4096),
		done:   make(chan struct{}),
		privs:  map[string]route.Privilege{},
	}
	s.client = component.New(component.Config{
		Address:          cfg.Component.Address,
		Domain:           cfg.Component.Domain,
		Secret:           cfg.Component.Secret,
		MaxStanzaBytes:   cfg.Component.MaxStanzaBytes,
		DialTimeout:      cfg.Component.DialTimeout,
		HandshakeTimeout: cfg.Component.HandshakeTimeout,
		BackoffMin:       time.Hour, // one attempt: the first failure is the answer
		BackoffMax:       time.Hour,
	}, s)
	runCtx, stop := context.WithCancel(ctx)
	s.stop = stop
	go func() { defer close(s.done); _ = s.client.Run(runCtx) }()
	limit := time.After(cfg.Component.DialTimeout + cfg.Component.HandshakeTimeout + time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-s.up:
			return s, nil
		case <-tick.C:
			if err := s.client.LastError(); err != nil {
				s.close()
				return nil, err
			}
		case <-limit:
			s.close()
			return nil, errors.New("no answer to the handshake in time")
		case <-ctx.Done():
			s.close()
			return nil, ctx.Err()
		}
	}
}

// close ends the connection; the server module then withdraws what doctor announced.
func (s *session) close() {
	s.stop()
	<-s.done
}

// next returns the next stanza that is not a privilege announcement or a presence (those are
// recorded on the way), or nil once deadline has passed.
func (s *session) next(deadline time.Time) []byte {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		select {
		case raw := <-s.in:
			if p, ok := route.ParsePrivilege(raw); ok {
				s.privs[p.Host] = p
				continue
			}
			if string(xmlstream.Name(raw)) == "presence" {
				s.presences++
				continue
			}
			return raw
		case <-timer.C:
			return nil
		}
	}
}

// waitPrivileges reads until every host has announced its permissions or deadline passes.
func (s *session) waitPrivileges(hosts []string, deadline time.Time) {
	for {
		all := true
		for _, h := range hosts {
			_, ok := s.privs[h]
			all = all && ok
		}
		if all || s.next(deadline) == nil && time.Now().After(deadline) {
			return
		}
	}
}

// discoInfo asks host for its disco#info (of node, if not empty) and returns the identity
// names and the features of the answer, or an error for an error answer or none in time.
func (s *session) discoInfo(host, node string, deadline time.Time) (names, features []string, err error) {
	s.iqs++
	id := "doctor-" + strconv.Itoa(s.iqs)
	query := "<query xmlns='" + nsDiscoInfo + "'/>"
	if node != "" {
		query = "<query xmlns='" + nsDiscoInfo + "' node='" + node + "'/>"
	}
	if err := s.client.Send([]byte("<iq type='get' id='" + id + "' from='" + s.domain + "' to='" + host + "'>" + query + "</iq>")); err != nil {
		return nil, nil, err
	}
	for {
		raw := s.next(deadline)
		if raw == nil {
			return nil, nil, errors.New("no answer in time")
		}
		if a, ok := parseDiscoInfo(raw, id); ok {
			if a.errorCondition != "" {
				return nil, nil, fmt.Errorf("error answer: %s", a.errorCondition)
			}
			return a.names, a.features, nil
		}
	}
}

// discoAnswer is what doctor reads from a disco#info answer.
type discoAnswer struct {
	names, features []string // identity names, feature vars
	errorCondition  string   // for an error answer, its condition ("unknown" if none given)
}

// parseDiscoInfo reads raw as the answer to the iq with the given id; ok is false for any
// other stanza.
func parseDiscoInfo(raw []byte, id string) (a discoAnswer, ok bool) {
	root, err := xmlscan.Parse(raw)
	if err != nil || string(root.Local()) != "iq" || root.AttrValue("id") != id {
		return discoAnswer{}, false
	}
	switch root.AttrValue("type") {
	case "result":
	case "error":
		return discoAnswer{errorCondition: errorCondition(root)}, true
	default:
		return discoAnswer{}, false // a get or set with the same id is not the answer
	}
	for c := root.Children(); c.Next(); {
		q := c.Element()
		if !q.Is(nsDiscoInfo, "query") {
			continue
		}
		for qc := q.Children(); qc.Next(); {
			el := qc.Element()
			switch string(el.Local()) {
			case "identity":
				a.names = append(a.names, el.AttrValue("name"))
			case "feature":
				a.features = append(a.features, el.AttrValue("var"))
			}
		}
	}
	return a, true
}

// errorCondition names the defined condition of an error stanza.
func errorCondition(root xmlscan.Element) string {
	for c := root.Children(); c.Next(); {
		el := c.Element()
		if string(el.Local()) != "error" {
			continue
		}
		for ec := el.Children(); ec.Next(); {
			cond := ec.Element()
			if name := string(cond.Local()); name != "text" {
				return name
			}
		}
	}
	return "unknown"
}

// ping asks host's module for its pong (PROTOCOL.md §7); ok is false when none came in time.
func (s *session) ping(host string, deadline time.Time) (route.Pong, bool) {
	s.iqs++
	id := "doctor-" + strconv.Itoa(s.iqs)
	if err := s.client.Send(route.AppendPing(nil, s.domain, host, id)); err != nil {
		return route.Pong{}, false
	}
	for {
		raw := s.next(deadline)
		if raw == nil {
			return route.Pong{}, false
		}
		if p, ok := route.ParsePong(raw); ok && p.ID == id {
			return p, true
		}
	}
}
