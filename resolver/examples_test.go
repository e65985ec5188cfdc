package resolver

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/ampd-xmpp/ampd/amp"
	"github.com/ampd-xmpp/ampd/internal/xepexamples"
)

// examplesDir finds the shared XEP-0079 examples, or skips.
func examplesDir(t testing.TB) string { return xepexamples.Dir(t) }

// readExample returns the stanza of example n without its leading comment.
func readExample(t testing.TB, n int) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(examplesDir(t), "example-"+twoDigits(n)+".xml"))
	if err != nil {
		t.Fatal(err)
	}
	if i := bytes.Index(b, []byte("-->")); i >= 0 {
		b = b[i+3:]
	}
	return bytes.TrimSpace(b)
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// parseExample parses an example with the amp package's parser.
func parseExample(t testing.TB, raw []byte) *amp.Message {
	t.Helper()
	var m amp.Message
	if err := amp.ParseMessage(raw, &m); err != nil {
		t.Fatal(err)
	}
	return &m
}

// TestXEP0079Examples feeds the request examples of XEP-0079 through Decide, with a clock
// before and after their 2003/2004 expiry dates.
func TestXEP0079Examples(t *testing.T) {
	var (
		before2004  = time.Date(2003, 6, 1, 0, 0, 0, 0, time.UTC)
		after2004   = time.Date(2005, 1, 1, 0, 0, 0, 0, time.UTC)
		remote      = Facts{Recipient: RecipientRemote}
		noDrop, _   = newFeatures([]string{"alert", "error", "notify"}, KnownConditions(), KnownDeliverValues(), KnownMatchResourceValues())
		noExpiry, _ = newFeatures(KnownActions(), []string{"deliver", "match-resource"}, KnownDeliverValues(), KnownMatchResourceValues())
	)
	tests := [...]struct {
		example    int
		facts      Facts
		available  []Resource
		authorised bool
		now        time.Time
		features   Features
		verdict    Verdict
		met        int
		app        string // the AMP error child expected, "" for none
	}{
		// Examples 5, 6: expire-at drop to a remote server's user, before and after.
		0: {example: 5, facts: remote, now: before2004, verdict: Deliver, met: -1},
		1: {example: 5, facts: remote, now: after2004, verdict: Discard, met: 0},
		2: {example: 6, facts: remote, now: after2004, verdict: Discard, met: 0},
		// Example 10: reliable data transport to francisco/pda (local to hamlet.lit).
		3: {example: 10, facts: localStore, available: []Resource{{"pda", 0}}, authorised: true, now: before2004, verdict: Deliver, met: -1},
		4: {example: 10, facts: localStore, available: []Resource{{"desktop", 0}}, authorised: true, now: before2004, verdict: Discard, met: 1}, // Example 11
		5: {example: 10, facts: localStore, available: []Resource{{"pda", 0}}, authorised: true, now: after2004, verdict: Discard, met: 0},
		6: {example: 10, facts: localStore, available: []Resource{{"pda", 0}}, now: before2004, verdict: Discard, met: -1, app: "invalid-rules"}, // §9
		// Example 12: a time-sensitive headline-like alert to a bare JID.
		7: {example: 12, facts: localStore, now: time.Date(2003, 6, 23, 22, 59, 59, 0, time.UTC), verdict: Hold, met: -1},
		8: {example: 12, facts: localStore, now: time.Date(2003, 6, 23, 23, 0, 0, 0, time.UTC), verdict: Discard, met: 0},
		// Example 13: transient message, dropped if it would be stored.
		9:  {example: 13, facts: localStore, now: before2004, verdict: Discard, met: 0},
		10: {example: 13, facts: localStore, available: []Resource{{"a", 0}}, now: before2004, verdict: Deliver, met: -1},
		// Example 14: transient message with alert (Example 15 is the reply).
		11: {example: 14, facts: localStore, authorised: true, now: before2004, verdict: Discard, met: 0},
		12: {example: 14, facts: localStore, now: before2004, verdict: Discard, met: -1, app: "invalid-rules"},
		// Examples 16/17 and 18/19: a server without drop, or without expire-at.
		13: {example: 16, facts: remote, now: before2004, features: noDrop, verdict: Discard, met: -1, app: "unsupported-actions"},
		14: {example: 18, facts: remote, now: before2004, features: noExpiry, verdict: Discard, met: -1, app: "unsupported-conditions"},
	}
	for i, tc := range tests {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			m := parseExample(t, readExample(t, tc.example))
			features := tc.features
			if features == (Features{}) {
				features = DefaultFeatures()
			}
			in := Input{
				Message: m, From: jid.MustParse(m.From.Value), To: jid.MustParse(m.To.Value),
				Facts: tc.facts, Available: tc.available, PresenceAuthorised: tc.authorised, Now: tc.now,
			}
			d := Decide(in, features)
			app := ""
			if d.Err != nil {
				app = d.Err.App
			}
			if d.Verdict != tc.verdict || d.Met != tc.met || app != tc.app {
				t.Errorf("got %s met=%d err=%v, want %s met=%d %s", d.Verdict, d.Met, d.Err, tc.verdict, tc.met, tc.app)
			}
		})
	}
}
