package amp

import (
	"errors"
	"fmt"
	"testing"
)

func TestErrorIs(t *testing.T) {
	r := Rule{Action: Attr{Value: "alert", Present: true}}
	kinds := []*Error{MissingID(), EmptyRuleset(), UnsupportedActions(nil), UnsupportedConditions(nil),
		InvalidRules(nil), ServiceUnavailable(), FailedRules(Rule{})}
	for i, k := range kinds {
		for j, other := range kinds {
			var err error = fmt.Errorf("wrapped: %w", other)
			if got := errors.Is(err, k); got != (i == j) {
				t.Errorf("errors.Is(%v, %v) = %v", other, k, got)
			}
		}
	}
	if !errors.Is(InvalidRules([]Rule{r, r}), InvalidRules(nil)) {
		t.Error("the rules listed must not change the kind")
	}
	if errors.Is(NotWellFormed("x"), NotWellFormed("y")) {
		t.Error("a different text is a different error")
	}
}

func TestErrorClass(t *testing.T) {
	for want, e := range map[string]*Error{
		"missing-id": MissingID(), "empty-ruleset": EmptyRuleset(), "unsupported-actions": UnsupportedActions(nil),
		"unsupported-conditions": UnsupportedConditions(nil), "invalid-rules": InvalidRules(nil),
		"failed-rules": FailedRules(Rule{}), "service-unavailable": ServiceUnavailable(), "malformed": NotWellFormed("eof"),
	} {
		if got := e.Class(); got != want {
			t.Errorf("%v: Class() = %q, want %q", e, got, want)
		}
	}
}
