package xmlcanon

import (
	"testing"
)

func TestWithout(t *testing.T) {
	const amp = "http://jabber.org/protocol/amp"
	tests := []struct {
		in, ns, local, want string
	}{
		0: {
			in:    `<message xmlns='jabber:client'><body>x</body><amp xmlns='http://jabber.org/protocol/amp' status='notify'><rule/></amp></message>`,
			ns:    amp,
			local: "amp",
			want:  `<message xmlns='jabber:client'><body>x</body></message>`,
		},
		// Any depth, every occurrence, nested matches cut once.
		1: {
			in:    `<a><b xmlns='urn:b'><b><c/></b></b><d><b xmlns='urn:b'/></d></a>`,
			ns:    "urn:b",
			local: "b",
			want:  `<a><d></d></a>`,
		},
		// Namespace decides, not the name: a prefixed match and an unmatched
		// element with the same local name.
		2: {
			in:    `<a xmlns:p='urn:b'><p:b/><b/></a>`,
			ns:    "urn:b",
			local: "b",
			want:  `<a xmlns:p='urn:b'><b/></a>`,
		},
		// The root is never cut.
		3: {in: `<b xmlns='urn:b'/>`, ns: "urn:b", local: "b", want: `<b xmlns='urn:b'/>`},
		// No match: the bytes are unchanged.
		4: {in: `<a> <x  y="1"/> </a>`, ns: "", local: "z", want: `<a> <x  y="1"/> </a>`},
	}
	for i, tc := range tests {
		got, err := Without([]byte(tc.in), tc.ns, tc.local)
		if err != nil {
			t.Errorf("%d: %v", i, err)
			continue
		}
		if string(got) != tc.want {
			t.Errorf("%d: got %s, want %s", i, got, tc.want)
		}
	}
	if _, err := Without([]byte(`<a><b></a>`), "", "b"); err == nil {
		t.Error("malformed input accepted")
	}
}
