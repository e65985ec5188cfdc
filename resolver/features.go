package resolver

import (
	"fmt"

	"github.com/ampd-xmpp/ampd/amp"
)

// Features is the set of AMP actions, conditions and condition values this deployment
// enables (amp-semantics §9: one source of truth for validation and for what is advertised).
// An action or condition that is not enabled is "unsupported" at validation; a value that is
// not enabled makes its rule invalid. The zero value enables nothing.
type Features struct {
	actions, conditions bitset
	values              [maxParts]bitset // by condition index: the enabled values of its Values
}

// NewFeatures builds the enabled set from configuration names: the actions, the conditions,
// and for each condition with a ValuesKey its enabled values (keyed by condition name).
// Every name must be registered; the error names the first unknown one. Duplicates are
// harmless. An empty list enables nothing of its kind (defaults are the configuration's
// business; see DefaultFeatures).
func NewFeatures(actionNames, conditionNames []string, values map[string][]string) (Features, error) {
	var f Features
	for _, n := range actionNames {
		i := actionIndex(n)
		if i < 0 {
			return Features{}, fmt.Errorf("resolver: unknown action %q (known: %v)", n, KnownActions())
		}
		f.actions |= 1 << uint(i)
	}
	for _, n := range conditionNames {
		i := conditionIndex(n)
		if i < 0 {
			return Features{}, fmt.Errorf("resolver: unknown condition %q (known: %v)", n, KnownConditions())
		}
		f.conditions |= 1 << uint(i)
	}
	for name := range values {
		if c, ok := LookupCondition(name); !ok || c.ValuesKey == "" {
			return Features{}, fmt.Errorf("resolver: values given for %q, which is no condition with configurable values", name)
		}
	}
	for i, c := range conditions {
		if c.ValuesKey == "" {
			f.values[i] = all(len(c.Values))
			continue
		}
		for _, v := range values[c.Name] {
			j := indexOf(c.Values, v)
			if j < 0 {
				return Features{}, fmt.Errorf("resolver: unknown %s value %q (known: %v)", c.Name, v, c.Values)
			}
			f.values[i] |= 1 << uint(j)
		}
	}
	return f, nil
}

// indexOf returns the position of name in names, or -1, without allocating.
func indexOf(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
}

// DefaultFeatures enables every registered action, condition and value (amp-semantics §9:
// "by default every action, condition and value of this page is enabled").
func DefaultFeatures() Features {
	f := Features{actions: all(len(actions)), conditions: all(len(conditions))}
	for i, c := range conditions {
		f.values[i] = all(len(c.Values))
	}
	return f
}

// validValue reports whether v is a valid, enabled value for the condition with registry
// index i. The value of a condition that is itself unknown is not judged: the rule is already
// reported as unsupported-conditions, a class of higher precedence.
func (f *Features) validValue(i int, v amp.Attr) bool {
	if !v.Present || v.Value == "" {
		return false
	}
	if i < 0 {
		return true
	}
	c := &conditions[i]
	if c.Values != nil && !f.values[i].has(indexOf(c.Values, v.Value)) {
		return false
	}
	return c.Valid == nil || c.Valid(v.Value)
}

// Disco returns the disco#info features to advertise, for the server's top level and for the
// node http://jabber.org/protocol/amp alike: the namespace itself, then every enabled
// amp?action=X, then every enabled amp?condition=Y, each group in alphabetical order.
func (f Features) Disco() []string {
	out := make([]string, 0, 1+len(actions)+len(conditions))
	out = append(out, amp.NS)
	for i, a := range actions {
		if f.actions.has(i) {
			out = append(out, amp.NS+"?action="+a.Name)
		}
	}
	for i, c := range conditions {
		if f.conditions.has(i) {
			out = append(out, amp.NS+"?condition="+c.Name)
		}
	}
	return out
}
