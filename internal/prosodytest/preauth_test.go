package prosodytest

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

// preAuthFeatures opens a c2s stream and returns what the server sends up
// to and including the first </stream:features>.
func preAuthFeatures(t *testing.T, s *Server) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", s.C2SAddr, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(testTimeout))
	_, err = conn.Write([]byte("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='" + s.Host + "' version='1.0'>"))
	if err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	var b strings.Builder
	buf := make([]byte, 4096)
	for !strings.Contains(b.String(), "</stream:features>") {
		n, err := r.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			t.Fatalf("reading pre-auth features: %v; got %s", err, b.String())
		}
	}
	return b.String()
}
