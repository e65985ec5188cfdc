package route

import (
	"slices"
	"testing"

	"github.com/ampd-xmpp/ampd/xmlscan"
)

// appendAbandoned writes the module's notice that it gave up on routes, as contrib/ modules do.
func appendAbandoned(dst []byte, host, component string, routes []string) []byte {
	dst = append(dst, "<message from='"...)
	dst = xmlscan.AppendEscaped(dst, host)
	dst = append(dst, "' to='"...)
	dst = xmlscan.AppendEscaped(dst, component)
	dst = append(dst, "'>"...)
	for _, id := range routes {
		dst = append(dst, "<abandoned xmlns='"+NS+"' route='"...)
		dst = xmlscan.AppendEscaped(dst, id)
		dst = append(dst, "'/>"...)
	}
	return append(dst, "</message>"...)
}

func TestParseAbandonedTable(t *testing.T) {
	tests := []struct {
		raw    string
		host   string
		routes []string
	}{
		{`<message from='localhost' to='amp.localhost'><abandoned xmlns='urn:x-ampd:route:0' route='a1b2-7'/></message>`, "localhost", []string{"a1b2-7"}},
		{`<message from='h'><abandoned xmlns='urn:x-ampd:route:0' route='r1'/><abandoned xmlns='urn:x-ampd:route:0' route='r2'/></message>`, "h", []string{"r1", "r2"}},
		{`<message from='h'><abandoned xmlns='urn:x-ampd:route:0' route=''/><abandoned xmlns='urn:x-ampd:route:0'/></message>`, "", nil},
		{`<message from='h'><abandoned xmlns='other' route='r'/></message>`, "", nil},
		{`<message from='h'><abandoned route='r'/></message>`, "", nil},
		{`<iq from='h'><abandoned xmlns='urn:x-ampd:route:0' route='r'/></iq>`, "", nil},
		{`<message from='h'><reinjected xmlns='urn:x-ampd:route:0' id='k'/></message>`, "", nil},
		{`<message from='h'><abandoned xmlns='urn:x-ampd:route:0' route='a&amp;b'/></message>`, "h", []string{"a&b"}},
		{`<message from='h'><abandoned xmlns='urn:x-ampd:route:0' route='r'/>`, "", nil},
	}
	for _, tc := range tests {
		host, routes, ok := ParseAbandoned([]byte(tc.raw))
		if ok != (tc.routes != nil) || !slices.Equal(routes, tc.routes) || (ok && host != tc.host) {
			t.Errorf("ParseAbandoned(%s) = %q, %q, %v; want %q, %q", tc.raw, host, routes, ok, tc.host, tc.routes)
		}
	}
}

// FuzzParseAbandoned: the host and routes read from any notice, written again and read
// again, are the same, in the same order.
func FuzzParseAbandoned(f *testing.F) {
	f.Add(`<message from='localhost' to='amp.localhost'><abandoned xmlns='urn:x-ampd:route:0' route='a1b2-7'/><abandoned xmlns='urn:x-ampd:route:0' route='a1b2-8'/></message>`)
	f.Add(`<message from='h&amp;'><abandoned xmlns='urn:x-ampd:route:0' route='&lt;'/><body/></message>`)
	f.Fuzz(func(t *testing.T, raw string) {
		host, routes, ok := ParseAbandoned([]byte(raw))
		if ok != (len(routes) > 0) {
			t.Fatalf("ok %v with %d routes", ok, len(routes))
		}
		if !ok {
			return
		}
		h2, again, ok := ParseAbandoned(appendAbandoned(nil, host, "c", routes))
		if !ok || h2 != host || !slices.Equal(routes, again) {
			t.Fatalf("%q %q read back as %q %q", host, routes, h2, again)
		}
	})
}
