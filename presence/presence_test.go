package presence

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"github.com/ampd-xmpp/ampd/resolver"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Update
		err  error
	}{
		0: {`<presence from='Bob@LocalHost/phone' to='amp.localhost'><priority>5</priority></presence>`, Update{Bare: "bob@localhost", Resource: "phone", Available: true, Priority: 5}, nil},
		1: {`<presence from='bob@localhost/phone' to='amp.localhost' type='unavailable'/>`, Update{Bare: "bob@localhost", Resource: "phone"}, nil},
		2: {`<presence from='bob@localhost/pc'><priority> -3 </priority><delay xmlns='urn:xmpp:delay' stamp='2026-01-01T00:00:00Z'/></presence>`, Update{Bare: "bob@localhost", Resource: "pc", Available: true, Priority: -3}, nil},
		3: {`<presence from='bob@localhost/pc'><priority>999</priority></presence>`, Update{Bare: "bob@localhost", Resource: "pc", Available: true, Priority: 127}, nil},
		4: {`<presence from='bob@localhost/pc'><priority>high</priority></presence>`, Update{Bare: "bob@localhost", Resource: "pc", Available: true}, nil},
		5: {`<presence from='bob@localhost/pc' type='subscribe'/>`, Update{}, ErrIgnored},
		6: {`<presence from='bob@localhost' type='unavailable'/>`, Update{}, ErrIgnored},
		7: {`<presence from='localhost/x'/>`, Update{}, ErrIgnored},
		8: {`<presence from='bob@localhost/pc' type='error'/>`, Update{}, ErrIgnored},
		9: {`<presence from='bob@localhost/pc'><x:priority xmlns:x='urn:other'>9</x:priority><priority>2</priority></presence>`, Update{Bare: "bob@localhost", Resource: "pc", Available: true, Priority: 2}, nil},
	}
	for i, tc := range tests {
		got, err := Parse([]byte(tc.in))
		if err != tc.err || got != tc.want {
			t.Errorf("%d: got %+v, %v; want %+v, %v", i, got, err, tc.want, tc.err)
		}
	}
	for i, bad := range []string{`<presence`, `<message from='a@b/c'/>`, `<presence from='@@@/x'/>`} {
		if _, err := Parse([]byte(bad)); err == nil || err == ErrIgnored {
			t.Errorf("bad %d: want a parse error, got %v", i, err)
		}
	}
}

// The table always equals a model that is a plain map of resource → priority per user, however
// updates (duplicates included) arrive; snapshots taken earlier never change.
func TestTableMatchesModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		tab := NewTable()
		model := map[string]map[string]int{}
		var snaps []struct {
			bare string
			res  []resolver.Resource
			copy string
		}
		for range rapid.IntRange(0, 60).Draw(t, "n") {
			u := Update{
				Bare:      rapid.SampledFrom([]string{"a@h", "b@h", "c@h"}).Draw(t, "bare"),
				Resource:  rapid.SampledFrom([]string{"1", "2", "3"}).Draw(t, "res"),
				Available: rapid.Bool().Draw(t, "avail"),
				Priority:  rapid.IntRange(-2, 2).Draw(t, "prio"),
			}
			m := model[u.Bare]
			before, had := m[u.Resource]
			wantChange := u.Available && (!had || before != u.Priority) || !u.Available && had
			if got := tab.Apply(u); got != wantChange {
				t.Fatalf("Apply(%+v) = %v, want %v", u, got, wantChange)
			}
			if m == nil {
				m = map[string]int{}
				model[u.Bare] = m
			}
			if u.Available {
				m[u.Resource] = u.Priority
			} else {
				delete(m, u.Resource)
			}
			r := tab.Resources(u.Bare)
			snaps = append(snaps, struct {
				bare string
				res  []resolver.Resource
				copy string
			}{u.Bare, r, fmt.Sprint(r)})
		}
		total := 0
		for bare, m := range model {
			got := tab.Resources(bare)
			if len(got) != len(m) {
				t.Fatalf("%s: %v, model %v", bare, got, m)
			}
			for _, r := range got {
				if p, ok := m[r.Name]; !ok || p != r.Priority {
					t.Fatalf("%s: %v, model %v", bare, got, m)
				}
			}
			total += len(m)
		}
		if tab.Len() != total {
			t.Fatalf("Len = %d, model %d", tab.Len(), total)
		}
		for _, s := range snaps {
			if fmt.Sprint(s.res) != s.copy {
				t.Fatalf("snapshot of %s changed: %v, was %s", s.bare, s.res, s.copy)
			}
		}
	})
}

func TestReset(t *testing.T) {
	tab := NewTable()
	tab.Apply(Update{Bare: "a@h", Resource: "1", Available: true})
	tab.Reset()
	if tab.Len() != 0 || tab.Resources("a@h") != nil {
		t.Fatal("Reset left resources behind")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`<presence from='bob@localhost/phone'><priority>5</priority></presence>`))
	f.Add([]byte(`<presence from='bob@localhost/phone' type='unavailable'/>`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		u, err := Parse(raw)
		if err == nil && (u.Bare == "" || u.Resource == "" || u.Priority < -128 || u.Priority > 127) {
			t.Fatalf("accepted %q as %+v", raw, u)
		}
	})
}
