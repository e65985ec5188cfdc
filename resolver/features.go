package resolver

import (
	"fmt"

	"github.com/ampd-xmpp/ampd/amp"
)

// Each name that AMP defines has a small index, so that a set of enabled names is a bitmask
// and checking a rule against the configuration needs neither a map nor an allocation.
// The orders are alphabetical; Disco relies on them for its stable output.
var (
	actionNames        = [...]string{"alert", "drop", "error", "notify"}
	conditionNames     = [...]string{"deliver", "expire-at", "match-resource"}
	deliverValueNames  = [...]string{"direct", "stored", "none", "forward", "gateway"}
	matchResourceNames = [...]string{"any", "exact", "other"}
)

// Indexes into actionNames, conditionNames and matchResourceNames. The deliver values are
// indexed by the Disposition they name (see dispositionIndex).
const (
	actionAlert = iota
	actionDrop
	actionError
	actionNotify
)

const (
	conditionDeliver = iota
	conditionExpireAt
	conditionMatchResource
)

const (
	matchAny = iota
	matchExact
	matchOther
)

// bitset is a set of indexes into one of the name arrays above (each has fewer than 8 names).
type bitset uint8

func (s bitset) has(i int) bool { return i >= 0 && s&(1<<uint(i)) != 0 }

// indexOf returns the position of name in names, or -1. The arrays are tiny, so a linear scan
// with string comparison beats a map and does not allocate.
func indexOf(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
}

// Features is the set of AMP actions, conditions and condition values this deployment
// enables (amp-semantics §9: one source of truth for validation and for what is advertised).
// An action or condition that is not enabled is "unsupported" at validation; a value that is
// not enabled makes its rule invalid. The zero value enables nothing.
type Features struct {
	actions, conditions                bitset
	deliverValues, matchResourceValues bitset
}

// NewFeatures builds the enabled set from configuration names. Every name must be one that
// XEP-0079 defines; the error names the first unknown one. Duplicates are harmless. An empty
// list enables nothing of its kind (defaults are the configuration's business; see
// DefaultFeatures).
func NewFeatures(actions, conditions, deliverValues, matchResourceValues []string) (Features, error) {
	var f Features
	var err error
	if f.actions, err = setOf("action", actionNames[:], actions); err != nil {
		return Features{}, err
	}
	if f.conditions, err = setOf("condition", conditionNames[:], conditions); err != nil {
		return Features{}, err
	}
	if f.deliverValues, err = setOf("deliver value", deliverValueNames[:], deliverValues); err != nil {
		return Features{}, err
	}
	if f.matchResourceValues, err = setOf("match-resource value", matchResourceNames[:], matchResourceValues); err != nil {
		return Features{}, err
	}
	return f, nil
}

func setOf(kind string, known, names []string) (bitset, error) {
	var s bitset
	for _, n := range names {
		i := indexOf(known, n)
		if i < 0 {
			return 0, fmt.Errorf("resolver: unknown %s %q (known: %v)", kind, n, known)
		}
		s |= 1 << uint(i)
	}
	return s, nil
}

// DefaultFeatures enables every action, condition and value of XEP-0079 (amp-semantics §9:
// "by default every action, condition and value of this page is enabled").
func DefaultFeatures() Features {
	all := func(n int) bitset { return bitset(1<<uint(n) - 1) }
	return Features{
		actions:             all(len(actionNames)),
		conditions:          all(len(conditionNames)),
		deliverValues:       all(len(deliverValueNames)),
		matchResourceValues: all(len(matchResourceNames)),
	}
}

// Disco returns the disco#info features to advertise, for the server's top level and for the
// node http://jabber.org/protocol/amp alike: the namespace itself, then every enabled
// amp?action=X, then every enabled amp?condition=Y, each group in alphabetical order.
func (f Features) Disco() []string {
	out := make([]string, 0, 1+len(actionNames)+len(conditionNames))
	out = append(out, amp.NS)
	for i, n := range actionNames {
		if f.actions.has(i) {
			out = append(out, amp.NS+"?action="+n)
		}
	}
	for i, n := range conditionNames {
		if f.conditions.has(i) {
			out = append(out, amp.NS+"?condition="+n)
		}
	}
	return out
}

// KnownActions returns every action XEP-0079 defines, for configuration help texts.
func KnownActions() []string { return append([]string(nil), actionNames[:]...) }

// KnownConditions returns every condition XEP-0079 defines.
func KnownConditions() []string { return append([]string(nil), conditionNames[:]...) }

// KnownDeliverValues returns every value of the deliver condition.
func KnownDeliverValues() []string { return append([]string(nil), deliverValueNames[:]...) }

// KnownMatchResourceValues returns every value of the match-resource condition.
func KnownMatchResourceValues() []string { return append([]string(nil), matchResourceNames[:]...) }
