package route

import (
	"testing"

	"github.com/ampd-xmpp/ampd/xmlscan"
)

// A batch is one message whose children are the verdicts, each exactly as AppendVerdict would
// have wrapped it alone.
func TestVerdictBatch(t *testing.T) {
	reply := []byte(`<message xmlns='jabber:client' from='localhost' to='a@localhost/p' id='m1'><amp xmlns='http://jabber.org/protocol/amp' status='notify'/></message>`)
	b := AppendBatchOpen(nil, "amp.localhost", "localhost")
	b = AppendVerdictElement(b, "r'1", Deliver, false, nil)
	b = AppendVerdictElement(b, "r2", Discard, false, reply)
	b = AppendVerdictElement(b, "r3", Deliver, true, nil)
	b = AppendBatchClose(b)
	want := `<message from='amp.localhost' to='localhost'>` +
		`<verdict xmlns='urn:x-ampd:route:0' route='r&apos;1' action='deliver'/>` +
		`<verdict xmlns='urn:x-ampd:route:0' route='r2' action='discard'>` + string(reply) + `</verdict>` +
		`<verdict xmlns='urn:x-ampd:route:0' route='r3' action='deliver' strip='amp'/>` +
		`</message>`
	if string(b) != want {
		t.Fatalf("batch\n%s\nwant\n%s", b, want)
	}
	if _, err := xmlscan.Parse(b); err != nil {
		t.Fatalf("batch is not well-formed: %v", err)
	}
	single := AppendVerdict(nil, "amp.localhost", "localhost", "r2", Discard, reply)
	alone := AppendBatchClose(AppendVerdictElement(AppendBatchOpen(nil, "amp.localhost", "localhost"), "r2", Discard, false, reply))
	if string(single) != string(alone) {
		t.Fatalf("a batch of one differs from AppendVerdict:\n%s\n%s", alone, single)
	}
}
