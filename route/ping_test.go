package route

import "testing"

func TestPing(t *testing.T) {
	got := string(AppendPing(nil, "amp.localhost", "localhost", "p'1"))
	const want = `<message from='amp.localhost' to='localhost'><ping xmlns='urn:x-ampd:route:0' id='p&apos;1'/></message>`
	if got != want {
		t.Errorf("AppendPing = %s, want %s", got, want)
	}
}

func TestParsePong(t *testing.T) {
	raw := `<message from='localhost' to='amp.localhost'><pong xmlns='urn:x-ampd:route:0' id='p1' server='prosody' server_version='0.12.3' when_down='bounce' down_grace='20' max_pending='10000' pending_timeout='60' reinjected_max='10000' reinjected_max_age='86400' retained='2'/></message>`
	p, ok := ParsePong([]byte(raw))
	want := Pong{ID: "p1", Host: "localhost", Server: "prosody", ServerVersion: "0.12.3", WhenDown: "bounce", DownGrace: 20,
		MaxPending: 10000, PendingTimeout: 60, ReinjectedMax: 10000, ReinjectedAge: 86400, Retained: 2}
	if !ok || p != want {
		t.Errorf("ParsePong = %+v, %v; want %+v", p, ok, want)
	}
	p, ok = ParsePong([]byte(`<message from='h'><pong xmlns='urn:x-ampd:route:0' id='p2' max_pending='x'/></message>`))
	if !ok || p.MaxPending != -1 || p.Retained != -1 {
		t.Errorf("a pong without numbers: %+v, %v; want -1 for each", p, ok)
	}
	for _, other := range []string{
		`<message from='h'><pong xmlns='urn:x-ampd:route:0'/></message>`, // no id
		`<message from='h'><pong xmlns='other' id='p'/></message>`,
		`<message from='h'><reinjected xmlns='urn:x-ampd:route:0' id='p'/></message>`,
		`<iq from='h'><pong xmlns='urn:x-ampd:route:0' id='p'/></iq>`,
		`<message`,
	} {
		if p, ok := ParsePong([]byte(other)); ok {
			t.Errorf("ParsePong(%s) = %+v, want not a pong", other, p)
		}
	}
}

// The module's answer is network input: no bytes may crash the parser.
func FuzzParsePong(f *testing.F) {
	f.Add([]byte(`<message from='localhost'><pong xmlns='urn:x-ampd:route:0' id='p1' server='ejabberd' max_pending='10'/></message>`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, ok := ParsePong(raw)
		if ok && p.ID == "" {
			t.Errorf("a pong without id: %+v", p)
		}
	})
}
