package resolver

// Request is one diverted AMP request as Resolve reads it.
type Request struct {
	// Input is the message, its parsed addresses, the route facts, the recipient's available
	// resources and the time of receipt. Its PresenceAuthorised is ignored: Resolve forms it
	// from the policy.
	Input
	// Unreadable is why the message could not be read; Message holds what was read. An
	// *amp.Error (amp.ParseMessage's, amp.TooLarge) is the refusal as it is; any other error
	// is refused as not well-formed.
	Unreadable error
	// BadFrom and BadTo say that the sender's or recipient's address is not a valid JID.
	BadFrom, BadTo bool
	// Host is the server host that diverted the request: the replies' from, unless the
	// policy names another.
	Host string
	// FromPeer says that the server received it from another server (s2s), so that the
	// addresses stamped on its <amp/> are the original sender's and recipient's.
	FromPeer bool
}

// Policy is the deployment's configuration of decisions.
type Policy struct {
	Features Features
	Presence PresencePolicy
	// LocalHosts are the served hosts, whose users PresenceSameDomain trusts.
	LocalHosts []string
	// RemoteUnsupported is what happens to a request for a remote recipient whose server
	// does not advertise AMP (amp-semantics §8).
	RemoteUnsupported RemoteUnsupported
	// ReplyFrom is the replies' from address; "" for the host that diverted the request.
	ReplyFrom string
	// Gateways are domains configured as gateways (deliver=gateway without asking them).
	Gateways []string
	// Forwarded are bare JIDs configured as forwarded elsewhere (deliver=forward).
	Forwarded []string
}

// RemoteUnsupported is amp.remote_unsupported.
type RemoteUnsupported uint8

const (
	RemoteError RemoteUnsupported = iota // refuse with service-unavailable (the XEP's behaviour)
	RemoteStrip                          // deliver without the <amp/>
	RemotePass                           // deliver as it is
)

// Answers are what the caller has fetched for a request so far.
type Answers struct {
	Roster RosterAnswer
	// NextHop is the recipient domain's disco#info; nil while not fetched.
	NextHop *NextHop
}

// RosterAnswer is the recipient's roster as far as the §9 policy asks: whether it gives the
// sender a from or both subscription. A fetch that failed or timed out is Known and does not
// Allow: the policy fails closed.
type RosterAnswer struct {
	Known, Allows bool
}

// NextHop is what a domain's disco#info answer says about it. A failed or timed-out query
// is a NextHop without either.
type NextHop struct {
	AMP     bool // it advertises http://jabber.org/protocol/amp
	Gateway bool // it has an identity of category gateway
}

// Need is what Resolve needs before it can form an outcome.
type Need uint8

const (
	NeedNothing Need = iota
	NeedRoster       // the recipient's roster (Answers.Roster)
	NeedNextHop      // the recipient domain's disco#info (Answers.NextHop)
)

// Why says why a request was not judged by its rules.
type Why uint8

const (
	WhyJudged       Why = iota // judged by its rules
	WhyUnreadable              // the message could not be read: refused
	WhyNotRequest              // a reply or an error bounce: delivered untouched
	WhyBadSender               // the sender's address is invalid: discarded
	WhyBadRecipient            // the recipient's address is invalid: the server bounces it
)

// Outcome is what happens to a request. When Need is set, nothing else is.
type Outcome struct {
	Need    Need
	Verdict Verdict
	// Strip tells the module to deliver without the <amp/> (a remote next hop without AMP).
	Strip bool
	// Reply is the stanza the sender is owed, nil for none; it lives in Resolve's scratch.
	Reply []byte
	// ReplyKind names the reply for the metrics: "validation", the action, or
	// "service-unavailable".
	ReplyKind string
	// Action is the met rule's action carried out, "none" for none.
	Action   string
	Decision Decision
	Why      Why
}
