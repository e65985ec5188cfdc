package resolver

import (
	"slices"
	"strconv"
	"testing"

	"mellium.im/xmpp/jid"
)

func TestDefaultDisposition(t *testing.T) {
	var (
		none     []Resource
		one      = []Resource{{"phone", 0}}
		several  = []Resource{{"phone", 5}, {"laptop", 1}, {"tablet", 5}, {"hidden", -1}}
		negative = []Resource{{"phone", -1}, {"laptop", -5}}
		other    = []Resource{{"laptop", 3}} // not the addressed "phone"
	)
	type facts = Facts
	var (
		store   = facts{Recipient: RecipientLocal, OfflineStorage: true}
		noStore = facts{Recipient: RecipientLocal}
	)
	tests := [...]struct {
		to        jid.JID
		typ       string
		facts     Facts
		available []Resource
		want      Disposition
		dest      []string
	}{
		// bare JID, chat/normal/absent
		0: {juliet, "chat", store, one, Direct, []string{"phone"}},
		1: {juliet, "normal", store, several, Direct, []string{"phone", "tablet"}},
		2: {juliet, "", store, several, Direct, []string{"phone", "tablet"}},
		3: {juliet, "chat", store, none, Stored, nil},
		4: {juliet, "chat", noStore, none, None, nil},
		5: {juliet, "normal", store, negative, Stored, nil},
		6: {juliet, "", noStore, negative, None, nil},
		7: {juliet, "bogus", store, one, Direct, []string{"phone"}}, // unknown type = normal
		// bare JID, headline
		8:  {juliet, "headline", store, several, Direct, []string{"phone", "laptop", "tablet"}},
		9:  {juliet, "headline", store, none, None, nil},
		10: {juliet, "headline", store, negative, None, nil},
		// bare JID, groupchat
		11: {juliet, "groupchat", store, several, None, nil},
		12: {juliet, "groupchat", store, none, None, nil},
		// full JID, resource available with any priority
		13: {julietPhone, "chat", store, one, Direct, []string{"phone"}},
		14: {julietPhone, "headline", store, negative, Direct, []string{"phone"}},
		15: {julietPhone, "groupchat", store, several, Direct, []string{"phone"}},
		16: {julietPhone, "", noStore, negative, Direct, []string{"phone"}},
		// full JID, resource unavailable: chat/normal as bare
		17: {julietPhone, "chat", store, other, Direct, []string{"laptop"}},
		18: {julietPhone, "normal", store, none, Stored, nil},
		19: {julietPhone, "", noStore, none, None, nil},
		20: {julietPhone, "chat", store, []Resource{{"laptop", -1}}, Stored, nil},
		// full JID, resource unavailable: headline/groupchat none
		21: {julietPhone, "headline", store, other, None, nil},
		22: {julietPhone, "groupchat", store, other, None, nil},
		// other recipients
		23: {juliet, "chat", facts{Recipient: RecipientUnknown, OfflineStorage: true}, none, None, nil},
		24: {juliet, "chat", facts{Recipient: RecipientUnknown}, one, None, nil},
		25: {serviceJID, "groupchat", facts{Recipient: RecipientService}, none, Direct, nil},
		26: {remoteJID, "chat", facts{Recipient: RecipientRemote}, none, Direct, nil},
		27: {remoteJID, "chat", facts{Recipient: RecipientRemote, Gateway: true}, none, Gateway, nil},
		28: {serviceJID, "chat", facts{Recipient: RecipientService, Gateway: true}, none, Gateway, nil},
		29: {juliet, "chat", facts{Recipient: RecipientLocal, Forwarded: true}, one, Forward, nil},
		30: {remoteJID, "chat", facts{Recipient: RecipientRemote, Forwarded: true}, none, Forward, nil},
	}
	for i, tc := range tests {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			in := local(request(tc.typ, rule("drop", "deliver", "none")), tc.available...)
			in.To, in.Facts = tc.to, tc.facts
			got, dest := DefaultDisposition(in)
			if got != tc.want || !slices.Equal(dest, tc.dest) {
				t.Errorf("DefaultDisposition = %s %q, want %s %q", got, dest, tc.want, tc.dest)
			}
			// Decide reports the same disposition for a valid message.
			d := Decide(in, DefaultFeatures())
			if d.Err != nil || d.Disposition != tc.want || !slices.Equal(d.Destinations, tc.dest) {
				t.Errorf("Decide = %+v, want disposition %s %q", d, tc.want, tc.dest)
			}
		})
	}
}
