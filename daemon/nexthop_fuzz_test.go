package daemon

import (
	"strings"
	"testing"

	"github.com/ampd-xmpp/ampd/xmlscan"
)

// parseDiscoInfo reads answers from remote servers: it must never panic, and it reports AMP
// or a gateway only when the answer names them.
func FuzzParseDiscoInfo(f *testing.F) {
	f.Add(discoResult("remote.example", "ampd-1", ampFeature))
	f.Add(discoResult("gw.example", "ampd-2", `<identity category='gateway' type='xmpp'/>`))
	f.Add(`<iq type='error' from='x' id='ampd-3'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`)
	f.Add(`<iq type='result' id='ampd-4'/>`)
	f.Fuzz(func(t *testing.T, raw string) {
		root, err := xmlscan.Parse([]byte(raw))
		if err != nil {
			return
		}
		info, answered := parseDiscoInfo(&root)
		if !answered && (info.amp || info.gateway) {
			t.Fatalf("unanswered but %+v", info)
		}
		if info.amp && !strings.Contains(raw, "amp") {
			t.Fatalf("AMP reported for %q", raw)
		}
		if info.gateway && !strings.Contains(raw, "gateway") {
			t.Fatalf("gateway reported for %q", raw)
		}
	})
}

func TestParseDiscoInfo(t *testing.T) {
	tests := []struct {
		raw               string
		amp, gw, answered bool
	}{
		0: {discoResult("r", "1", ampFeature), true, false, true},
		1: {discoResult("r", "1", noAmp), false, false, true},
		2: {discoResult("r", "1", `<identity category='gateway' type='irc'/>`+ampFeature), true, true, true},
		3: {`<iq type='error' id='1'/>`, false, false, false},
		// A feature outside the disco#info query does not count.
		4: {`<iq type='result' id='1'><other xmlns='x'><feature var='http://jabber.org/protocol/amp'/></other></iq>`, false, false, true},
	}
	for i, tc := range tests {
		root, err := xmlscan.Parse([]byte(tc.raw))
		if err != nil {
			t.Fatal(err)
		}
		info, answered := parseDiscoInfo(&root)
		if info.amp != tc.amp || info.gateway != tc.gw || answered != tc.answered {
			t.Errorf("%d: got %+v answered %v", i, info, answered)
		}
	}
	if _, answered := parseDiscoInfo(nil); answered {
		t.Error("no answer (time-out) counted as answered")
	}
}
