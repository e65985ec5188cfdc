package xmlscan_test

import (
	"fmt"

	"github.com/ampd-xmpp/ampd/xmlscan"
)

func ExampleParse() {
	stanza := []byte(`<message from='localhost' to='amp.localhost' id='r1'>` +
		`<forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' from='a@localhost/p' id='m1'><body>hi</body></message></forwarded>` +
		`<route xmlns='urn:x-ampd:route:0' id='r1' origin='c2s' recipient='local' offline='store'/></message>`)
	root, err := xmlscan.Parse(stanza)
	if err != nil {
		fmt.Println(err)
		return
	}
	fwd, _ := root.Child("urn:xmpp:forward:0", "forwarded")
	inner, _ := fwd.Child("jabber:client", "message")
	route, _ := root.Child("urn:x-ampd:route:0", "route")
	origin, _ := route.Attr("origin")
	fmt.Printf("%s\n%s\n", inner.Raw(), origin.Value)
	// Output:
	// <message xmlns='jabber:client' from='a@localhost/p' id='m1'><body>hi</body></message>
	// c2s
}

func ExampleElement_Text() {
	presence := []byte(`<presence xmlns='jabber:client'><priority> -1 </priority></presence>`)
	root, _ := xmlscan.Parse(presence)
	prio, _ := root.Child("jabber:client", "priority")
	text, _ := prio.Text()
	fmt.Printf("%q\n", text)
	// Output: " -1 "
}

func ExampleScanner() {
	var s xmlscan.Scanner
	s.Reset([]byte(`<m xmlns='jabber:client'><a:x xmlns:a='urn:a'><y/></a:x></m>`))
	for s.Next() {
		if s.IsStart() {
			ns, _ := s.LookupPrefix(nil)
			fmt.Println(s.Depth(), string(s.Name()), s.Is("urn:a", "x"), string(ns))
		}
	}
	fmt.Println(s.Err())
	// Output:
	// 1 m false jabber:client
	// 2 a:x true jabber:client
	// 3 y false jabber:client
	// <nil>
}
