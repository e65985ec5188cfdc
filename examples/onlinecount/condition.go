// Package onlinecount is the worked example of adding an AMP condition to ampd: this one
// file is all it takes. A fork copies it, renames the condition and links the package into
// ampd with a blank import in cmd/ampd (import _ ".../examples/onlinecount").
//
// The condition x-online-count (not part of XEP-0079; an "x-" name keeps it apart from the
// XEP's) is met when the recipient has exactly the given number of available resources:
//
//	<rule action='alert' condition='x-online-count' value='0'/>
//
// What the registration gives it, with no other change anywhere:
//   - amp.conditions enables it by default and accepts its name (config.Default, validation);
//   - disco#info announces http://jabber.org/protocol/amp?condition=x-online-count;
//   - a rule whose value is not a number from 0 to 99 is refused as invalid-rules;
//   - it reveals presence, so the §9 policy guards it (a stranger's rule is refused unless
//     its action is drop) and a roster is fetched when the policy asks for one;
//   - it is judged in document order with the other rules (the first met rule decides).
package onlinecount

import (
	"strconv"

	"github.com/ampd-xmpp/ampd/resolver"
)

// Name is the condition's name in rules and in amp.conditions.
const Name = "x-online-count"

func init() {
	resolver.RegisterCondition(resolver.Condition{
		Name: Name,
		// Values is nil: the set is open, and Valid checks each value. A closed set would list
		// its values here (and, to make them configurable, name an [amp] key in ValuesKey).
		Valid:           func(v string) bool { _, ok := count(v); return ok },
		RevealsPresence: true,
		Met: func(v string, s resolver.Situation) bool {
			n, ok := count(v)
			return ok && len(s.Available) == n && (s.Recipient == resolver.RecipientLocal || s.Recipient == resolver.RecipientUnknown)
		},
	})
}

// count reads a value: a decimal number from 0 to 99, digits only.
func count(v string) (int, bool) {
	if len(v) == 0 || len(v) > 2 || v[0] == '+' || v[0] == '-' {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	return n, err == nil
}
