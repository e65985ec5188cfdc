package route

import (
	"slices"
	"testing"

	"github.com/ampd-xmpp/ampd/xmlscan"
)

// appendReinjected writes the module's acknowledgement of re-injects, as contrib/ modules do.
func appendReinjected(dst []byte, host string, ids []string) []byte {
	dst = append(dst, "<message from='"...)
	dst = xmlscan.AppendEscaped(dst, host)
	dst = append(dst, "'>"...)
	for _, id := range ids {
		dst = append(dst, "<reinjected xmlns='"+NS+"' id='"...)
		dst = xmlscan.AppendEscaped(dst, id)
		dst = append(dst, "'/>"...)
	}
	return append(dst, "</message>"...)
}

// appendPrivilege writes a XEP-0356 permission announcement, as the servers send it.
func appendPrivilege(dst []byte, p Privilege) []byte {
	dst = append(dst, "<message from='"...)
	dst = xmlscan.AppendEscaped(dst, p.Host)
	dst = append(dst, "'><privilege xmlns='"...)
	dst = append(dst, p.Namespace...)
	dst = append(dst, "'>"...)
	for _, perm := range [][2]string{{"presence", p.Presence}, {"roster", p.Roster}} {
		if perm[1] == "" {
			continue
		}
		dst = append(dst, "<perm access='"+perm[0]+"' type='"...)
		dst = xmlscan.AppendEscaped(dst, perm[1])
		dst = append(dst, "'/>"...)
	}
	return append(dst, "</privilege></message>"...)
}

func TestParseReinjectedTable(t *testing.T) {
	tests := []struct {
		raw string
		ids []string
	}{
		{`<message from='localhost'><reinjected xmlns='urn:x-ampd:route:0' id='k1-release'/><reinjected xmlns='urn:x-ampd:route:0' id='k2'/></message>`, []string{"k1-release", "k2"}},
		{`<message from='localhost'><reinjected xmlns='urn:x-ampd:route:0' id=''/><reinjected xmlns='other' id='x'/></message>`, nil},
		{`<iq from='localhost'><reinjected xmlns='urn:x-ampd:route:0' id='k'/></iq>`, nil},
		{`<message from='localhost'><reinjected xmlns='urn:x-ampd:route:0' id='a&amp;b'/></message>`, []string{"a&b"}},
	}
	for _, tc := range tests {
		ids, ok := ParseReinjected([]byte(tc.raw))
		if ok != (tc.ids != nil) || !slices.Equal(ids, tc.ids) {
			t.Errorf("ParseReinjected(%s) = %q, %v; want %q", tc.raw, ids, ok, tc.ids)
		}
	}
}

// FuzzParseReinjected: the ids read from any acknowledgement, written again and read again,
// are the same ids in the same order.
func FuzzParseReinjected(f *testing.F) {
	f.Add(`<message from='localhost'><reinjected xmlns='urn:x-ampd:route:0' id='k1-release'/><reinjected xmlns='urn:x-ampd:route:0' id='k2'/></message>`)
	f.Add(`<message from='h'><reinjected xmlns='urn:x-ampd:route:0' id='&lt;'/><body/></message>`)
	f.Fuzz(func(t *testing.T, raw string) {
		ids, ok := ParseReinjected([]byte(raw))
		if ok != (len(ids) > 0) {
			t.Fatalf("ok %v with %d ids", ok, len(ids))
		}
		if !ok {
			return
		}
		again, ok := ParseReinjected(appendReinjected(nil, "h", ids))
		if !ok || !slices.Equal(ids, again) {
			t.Fatalf("ids %q read back as %q", ids, again)
		}
	})
}

// FuzzParsePrivilege: a permission announcement, written again and read again, grants the
// same.
func FuzzParsePrivilege(f *testing.F) {
	f.Add(`<message from='localhost'><privilege xmlns='urn:xmpp:privilege:2'><perm access='presence' type='managed_entity'/><perm access='roster' type='get'/></privilege></message>`)
	f.Add(`<message from='ejabberd.localhost'><privilege xmlns='urn:xmpp:privilege:1'><perm access='roster' type='both'/></privilege></message>`)
	f.Fuzz(func(t *testing.T, raw string) {
		p, ok := ParsePrivilege([]byte(raw))
		if !ok {
			return
		}
		again, ok := ParsePrivilege(appendPrivilege(nil, p))
		if !ok || again != p {
			t.Fatalf("%+v read back as %+v", p, again)
		}
	})
}

func TestParsePrivilegeRoundTrip(t *testing.T) {
	for _, p := range []Privilege{
		{Host: "localhost", Namespace: NSPrivilege2, Presence: "managed_entity", Roster: "get"},
		{Host: "h", Namespace: NSPrivilege1, Roster: "both"},
		{Host: "h", Namespace: NSPrivilege1},
	} {
		if got, ok := ParsePrivilege(appendPrivilege(nil, p)); !ok || got != p {
			t.Errorf("%+v read back as %+v, %v", p, got, ok)
		}
	}
}
