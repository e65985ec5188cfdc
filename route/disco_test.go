package route

import (
	"testing"
)

func TestAppendDiscoInfoQuery(t *testing.T) {
	got := string(AppendDiscoInfoQuery(nil, "amp.localhost", "localhost", "ampd-7", "remote.example"))
	want := `<message from='amp.localhost' to='localhost'><disco-info xmlns='urn:x-ampd:route:0' id='ampd-7' to='remote.example'/></message>`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	got = string(AppendDiscoInfoQuery(nil, "amp.localhost", "localhost", "a'<", "x&y"))
	want = `<message from='amp.localhost' to='localhost'><disco-info xmlns='urn:x-ampd:route:0' id='a&apos;&lt;' to='x&amp;y'/></message>`
	if got != want {
		t.Errorf("escaping: got  %s\nwant %s", got, want)
	}
}

func TestParseDiscoInfoResult(t *testing.T) {
	const answer = `<iq xmlns='jabber:client' type='result' from='remote.example' to='localhost' id='m1'><query xmlns='http://jabber.org/protocol/disco#info'><feature var='http://jabber.org/protocol/amp'/></query></iq>`
	cases := []struct {
		name, raw, id, from string
		ok                  bool
	}{
		{"result", `<message from='localhost' to='amp.localhost'><disco-info-result xmlns='urn:x-ampd:route:0' id='ampd-7'>` + answer + `</disco-info-result></message>`, "ampd-7", "remote.example", true},
		{"error", `<message from='localhost'><disco-info-result xmlns='urn:x-ampd:route:0' id='ampd-8'><iq xmlns='jabber:client' type='error' from='remote.example'><error type='cancel'><remote-server-timeout xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq></disco-info-result></message>`, "ampd-8", "remote.example", true},
		{"no id", `<message><disco-info-result xmlns='urn:x-ampd:route:0'>` + answer + `</disco-info-result></message>`, "", "", false},
		{"no iq", `<message><disco-info-result xmlns='urn:x-ampd:route:0' id='ampd-7'/></message>`, "", "", false},
		{"iq in another namespace", `<message><disco-info-result xmlns='urn:x-ampd:route:0' id='ampd-7'><iq xmlns='urn:other' type='result'/></disco-info-result></message>`, "", "", false},
		{"other element", `<message><reinjected xmlns='urn:x-ampd:route:0' id='k'/></message>`, "", "", false},
		{"not a message", `<iq type='result' id='ampd-7'/>`, "", "", false},
		{"malformed", `<message><disco-info-result xmlns='urn:x-ampd:route:0' id='ampd-7'>`, "", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id, iq, ok := ParseDiscoInfoResult([]byte(tc.raw))
			if ok != tc.ok || id != tc.id {
				t.Fatalf("ParseDiscoInfoResult = %q, %v; want %q, %v", id, ok, tc.id, tc.ok)
			}
			if ok && iq.AttrValue("from") != tc.from {
				t.Errorf("answer from %q, want %q", iq.AttrValue("from"), tc.from)
			}
		})
	}
}

func FuzzParseDiscoInfoResult(f *testing.F) {
	f.Add([]byte(`<message from='localhost'><disco-info-result xmlns='urn:x-ampd:route:0' id='ampd-7'><iq xmlns='jabber:client' type='result' from='d'/></disco-info-result></message>`))
	f.Add([]byte(`<message><disco-info-result xmlns='urn:x-ampd:route:0'/></message>`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		id, iq, ok := ParseDiscoInfoResult(raw)
		if ok && (id == "" || string(iq.Local()) != "iq") {
			t.Fatalf("ok with id %q and element %q", id, iq.Local())
		}
	})
}
