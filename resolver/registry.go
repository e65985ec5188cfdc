package resolver

import (
	"fmt"
	"slices"
	"time"
)

// Conditions and actions are registered parts: each lives in a file of its own
// (condition_*.go, action_*.go) that describes it completely and registers it from init. The
// configuration's names and defaults, validation, the announced disco features, the §9
// presence guard and the deadlines of held messages are all built from this registry, so
// adding a condition is one file plus its tests (docs/ARCHITECTURE.md, "Adding a condition").
// A fork registers its own parts the same way, from the init of any package linked into ampd.
//
// Register only from init: a Features value built before a registration does not know it.

// Condition is one AMP condition (XEP-0079 §3.3).
type Condition struct {
	// Name is the value of the rule's condition attribute.
	Name string
	// Values is the closed set of valid values, in the order the configuration lists them;
	// nil when any value that passes Valid is valid.
	Values []string
	// ValuesKey is the [amp] configuration key that lists the enabled values (config.AMP has
	// a field with this toml tag); "" enables every value of Values always.
	ValuesKey string
	// Valid checks a value beyond membership of Values; nil accepts any non-empty value.
	Valid func(value string) bool
	// RevealsPresence says that a rule with this condition tells the sender something of the
	// recipient's presence, so that the §9 policy guards it (unless its action is silent).
	RevealsPresence bool
	// NeedsNextHop says that the condition judges the disposition, which for a remote or
	// service recipient depends on the next hop's disco#info (is it a gateway?).
	NeedsNextHop bool
	// Met reports whether a valid rule with this value holds in the situation (§4).
	Met func(value string, s Situation) bool
	// Deadline returns the time from which the condition holds whatever else happens, for
	// conditions that a held message must be woken for (expire-at); nil for none.
	Deadline func(value string) (time.Time, bool)
}

// Action is one AMP action (XEP-0079 §3.4).
type Action struct {
	Name string
	// Continues says that the message goes on as it would without AMP when the rule is met
	// (notify); otherwise a met rule discards it.
	Continues bool
	// Silent says that the sender gets no reply when the rule is met (drop), so the rule can
	// reveal nothing and the §9 policy does not guard it.
	Silent bool
}

// maxParts bounds the conditions, actions and values of each condition: a set of them is a
// bitset, so that checking a rule against the configuration never allocates.
const maxParts = 16

// bitset is a set of indexes into one of the registries (or a condition's Values).
type bitset uint16

func (s bitset) has(i int) bool { return i >= 0 && s&(1<<uint(i)) != 0 }

// all is the set of the first n indexes.
func all(n int) bitset { return bitset(1<<uint(n) - 1) }

var (
	conditions []Condition // sorted by name: Disco relies on the order for its stable output
	actions    []Action    // sorted by name
)

// RegisterCondition adds a condition to the registry. It panics on a duplicate or a record
// that cannot be used: registration happens in init, where a mistake must stop the program.
func RegisterCondition(c Condition) {
	switch {
	case c.Name == "" || c.Met == nil:
		panic("resolver: a condition needs a Name and a Met function")
	case conditionIndex(c.Name) >= 0:
		panic("resolver: condition " + c.Name + " registered twice")
	case len(conditions) == maxParts || len(c.Values) > maxParts:
		panic(fmt.Sprintf("resolver: condition %s: at most %d conditions of %d values each", c.Name, maxParts, maxParts))
	case c.ValuesKey != "" && len(c.Values) == 0:
		panic("resolver: condition " + c.Name + " has a ValuesKey but no Values")
	}
	i, _ := slices.BinarySearchFunc(conditions, c.Name, func(e Condition, n string) int { return compare(e.Name, n) })
	conditions = slices.Insert(conditions, i, c)
}

// RegisterAction adds an action to the registry; see RegisterCondition.
func RegisterAction(a Action) {
	switch {
	case a.Name == "":
		panic("resolver: an action needs a Name")
	case actionIndex(a.Name) >= 0:
		panic("resolver: action " + a.Name + " registered twice")
	case len(actions) == maxParts:
		panic(fmt.Sprintf("resolver: at most %d actions", maxParts))
	}
	i, _ := slices.BinarySearchFunc(actions, a.Name, func(e Action, n string) int { return compare(e.Name, n) })
	actions = slices.Insert(actions, i, a)
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// conditionIndex returns the registry index of the named condition, or -1. The registry is
// tiny, so a linear scan with string comparison beats a map and does not allocate.
func conditionIndex(name string) int {
	for i := range conditions {
		if conditions[i].Name == name {
			return i
		}
	}
	return -1
}

func actionIndex(name string) int {
	for i := range actions {
		if actions[i].Name == name {
			return i
		}
	}
	return -1
}

// Conditions returns every registered condition, in name order.
func Conditions() []Condition { return slices.Clone(conditions) }

// Actions returns every registered action, in name order.
func Actions() []Action { return slices.Clone(actions) }

// KnownActions returns the names of the registered actions: the default of amp.actions.
func KnownActions() []string {
	out := make([]string, len(actions))
	for i, a := range actions {
		out[i] = a.Name
	}
	return out
}

// KnownConditions returns the names of the registered conditions: the default of
// amp.conditions.
func KnownConditions() []string {
	out := make([]string, len(conditions))
	for i, c := range conditions {
		out[i] = c.Name
	}
	return out
}

// LookupCondition returns the named condition.
func LookupCondition(name string) (Condition, bool) {
	if i := conditionIndex(name); i >= 0 {
		return conditions[i], true
	}
	return Condition{}, false
}
