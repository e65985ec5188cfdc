package resolver

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestDefaultFeaturesDisco(t *testing.T) {
	const ns = "http://jabber.org/protocol/amp"
	want := []string{
		ns,
		ns + "?action=alert", ns + "?action=drop", ns + "?action=error", ns + "?action=notify",
		ns + "?condition=deliver", ns + "?condition=expire-at", ns + "?condition=match-resource",
	}
	if got := DefaultFeatures().Disco(); !slices.Equal(got, want) {
		t.Errorf("Disco() = %q, want %q", got, want)
	}
	all, err := newFeatures(KnownActions(), KnownConditions(), KnownDeliverValues(), KnownMatchResourceValues())
	if err != nil || all != DefaultFeatures() {
		t.Errorf("newFeatures(everything known) = %v, %v; want DefaultFeatures()", all, err)
	}
}

func TestNewFeatures(t *testing.T) {
	const ns = "http://jabber.org/protocol/amp"
	tests := [...]struct {
		actions, conditions, deliver, match []string
		disco                               []string
		err                                 string // a substring of the error, "" for none
	}{
		0: {disco: []string{ns}},
		1: {actions: []string{"notify", "drop", "notify"}, conditions: []string{"expire-at"},
			disco: []string{ns, ns + "?action=drop", ns + "?action=notify", ns + "?condition=expire-at"}},
		2: {actions: []string{"drop", "bounce"}, err: `unknown action "bounce"`},
		3: {conditions: []string{"Deliver"}, err: `unknown condition "Deliver"`},
		4: {deliver: []string{"stored", "offline"}, err: `unknown deliver value "offline"`},
		5: {match: []string{"all"}, err: `unknown match-resource value "all"`},
		6: {actions: []string{""}, err: `unknown action ""`},
	}
	for i, tc := range tests {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			f, err := newFeatures(tc.actions, tc.conditions, tc.deliver, tc.match)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), "resolver: ") {
					t.Fatalf("err = %v, want one naming %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Disco(); !slices.Equal(got, tc.disco) {
				t.Errorf("Disco() = %q, want %q", got, tc.disco)
			}
		})
	}
}
