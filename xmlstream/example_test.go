package xmlstream_test

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ampd-xmpp/ampd/xmlstream"
)

func ExampleSplitter() {
	stream := `<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' id='s1'>` +
		`<handshake/> <message to='a@b'><body>x &lt; y</body></message>` +
		`<message><body>` + strings.Repeat("long ", 40) + `</body></message>` +
		`<iq type='get' id='1'/></stream:stream>`
	s := xmlstream.NewSplitter(strings.NewReader(stream), 150)
	h, err := s.Header()
	if err != nil {
		panic(err)
	}
	fmt.Println("stream id:", h.ID())
	for {
		el, err := s.Next()
		var tooLarge *xmlstream.TooLargeError
		switch {
		case errors.As(err, &tooLarge):
			fmt.Println("dropped:", tooLarge.Name)
			continue
		case err == io.EOF:
			return
		case err != nil:
			panic(err)
		}
		fmt.Printf("%s: %s\n", xmlstream.Name(el), el)
	}
	// Output:
	// stream id: s1
	// handshake: <handshake/>
	// message: <message to='a@b'><body>x &lt; y</body></message>
	// dropped: message
	// iq: <iq type='get' id='1'/>
}
