package ejabberdtest

import (
	"context"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
)

func TestSmoke(t *testing.T) {
	t0 := time.Now()
	s := Start(t, Options{Users: map[string]string{"alice": "pw"}})
	t.Logf("start+register took %v", time.Since(t0))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := c2stest.Dial(ctx, s.C2SAddr, "alice", s.Domain, "pw", "phone")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	t.Logf("features: %s", c.Features())
}
