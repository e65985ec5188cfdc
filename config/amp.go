package config

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/ampd-xmpp/ampd/resolver"
)

// The [amp] section is built from the resolver's registry of conditions and actions: its
// defaults enable every registered name and value, and validation knows exactly the
// registered ones. A condition whose values are configurable names its key (ValuesKey); the
// AMP struct has the field with that toml tag (TestEveryValuesKeyHasAField).

// valueList is one [amp] key that lists the enabled values of a condition.
type valueList struct {
	key       string // e.g. "deliver_values"
	condition resolver.Condition
	list      *[]string
}

// valueLists returns the value lists of a, one per registered condition with a ValuesKey,
// in the registry's order.
func (a *AMP) valueLists() []valueList {
	var out []valueList
	v := reflect.ValueOf(a).Elem()
	for _, c := range resolver.Conditions() {
		if c.ValuesKey == "" {
			continue
		}
		for i := range v.NumField() {
			if v.Type().Field(i).Tag.Get("toml") == c.ValuesKey {
				out = append(out, valueList{key: c.ValuesKey, condition: c, list: v.Field(i).Addr().Interface().(*[]string)})
			}
		}
	}
	return out
}

// ConditionValues returns the enabled values of each condition with configurable values,
// keyed by condition name, as resolver.NewFeatures takes them.
func (a *AMP) ConditionValues() map[string][]string {
	out := make(map[string][]string)
	for _, l := range a.valueLists() {
		out[l.condition.Name] = *l.list
	}
	return out
}

// defaultAMP enables everything the registry knows.
func defaultAMP() AMP {
	a := AMP{Actions: resolver.KnownActions(), Conditions: resolver.KnownConditions()}
	for _, l := range a.valueLists() {
		*l.list = slices.Clone(l.condition.Values)
	}
	return a
}

// validateNames checks the enabled names against the registry.
func (a *AMP) validateNames(add func(error)) {
	add(names("amp.actions", "action", a.Actions, resolver.KnownActions()))
	add(names("amp.conditions", "condition", a.Conditions, resolver.KnownConditions()))
	for _, l := range a.valueLists() {
		key := "amp." + l.key
		add(names(key, l.condition.Name+" value", *l.list, l.condition.Values))
		if len(*l.list) == 0 && slices.Contains(a.Conditions, l.condition.Name) {
			add(fmt.Errorf("config: %s is empty while amp.conditions enables %q; list at least one value or remove %q from amp.conditions", key, l.condition.Name, l.condition.Name))
		}
	}
}
