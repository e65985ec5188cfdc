package prosodytest

import (
	"context"
	"strings"
	"testing"
	"time"
)

const (
	nsDiscoInfo  = "http://jabber.org/protocol/disco#info"
	nsAMPFeature = "http://jabber.org/features/amp"
)

var announced = []string{
	"http://jabber.org/protocol/amp",
	"http://jabber.org/protocol/amp?action=notify",
	"http://jabber.org/protocol/amp?condition=deliver",
}

// discoFeatures returns the disco#info of the host (node "" for none) as raw XML.
func discoFeatures(t *testing.T, s *Server, node string) string {
	t.Helper()
	c := dial(t, s, "carol", "disco")
	defer c.Close()
	ctx, cancel := ctxT()
	defer cancel()
	q := "<query xmlns='" + nsDiscoInfo + "'/>"
	if node != "" {
		q = "<query xmlns='" + nsDiscoInfo + "' node='" + node + "'/>"
	}
	got, err := c.IQ(ctx, "<iq type='get' to='"+s.Host+"'>"+q+"</iq>")
	if err != nil {
		return "error: " + err.Error()
	}
	return string(got.Raw)
}

func hasFeature(raw, v string) bool {
	return strings.Contains(raw, "var='"+v+"'") || strings.Contains(raw, `var="`+v+`"`)
}

// streamFeatures returns the features a fresh client sees after authenticating.
func streamFeatures(t *testing.T, s *Server) string {
	t.Helper()
	c := dial(t, s, "carol", "features")
	defer c.Close()
	return string(c.Features())
}

// eventually retries check until it returns "" (the announce travels
// asynchronously from the component to the server) or testTimeout passes.
func eventually(t *testing.T, check func() string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	for {
		problem := check()
		if problem == "" {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal(problem)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// The stream feature and the disco features exist only while the component
// is connected and has announced them.
func TestAdvertisedOnlyWhileAnnounced(t *testing.T) {
	s := startSandbox(t, Options{})
	absent := func() string {
		if f := streamFeatures(t, s); strings.Contains(f, nsAMPFeature) {
			return "stream feature offered: " + f
		}
		if d := discoFeatures(t, s, ""); hasFeature(d, announced[0]) {
			return "host disco lists AMP: " + d
		}
		if d := discoFeatures(t, s, announced[0]); !strings.Contains(d, "item-not-found") {
			return "AMP node exists: " + d
		}
		return ""
	}
	if p := absent(); p != "" {
		t.Fatal("before the component connected: ", p)
	}
	comp := connectStub(t, s)
	if p := absent(); p != "" {
		t.Fatal("connected but not announced: ", p)
	}
	comp.announce(t, s, announced...)
	eventually(t, func() string {
		if f := streamFeatures(t, s); !strings.Contains(f, nsAMPFeature) {
			return "no stream feature: " + f
		}
		for _, node := range []string{"", announced[0]} {
			d := discoFeatures(t, s, node)
			for _, v := range announced {
				if !hasFeature(d, v) {
					return "disco node " + node + " lacks " + v + ": " + d
				}
			}
		}
		return ""
	})
	// A new announcement replaces the old one.
	comp.announce(t, s, announced[0])
	eventually(t, func() string {
		d := discoFeatures(t, s, announced[0])
		if !hasFeature(d, announced[0]) || hasFeature(d, announced[1]) {
			return "node after the second announce: " + d
		}
		if d := discoFeatures(t, s, ""); hasFeature(d, announced[1]) {
			return "host after the second announce: " + d
		}
		return ""
	})
	comp.close()
	eventually(t, absent)
}

// The stream feature is offered only after authentication.
func TestStreamFeatureNotBeforeAuth(t *testing.T) {
	s := startSandbox(t, Options{})
	comp := connectStub(t, s)
	comp.announce(t, s, announced...)
	eventually(t, func() string {
		if f := streamFeatures(t, s); !strings.Contains(f, nsAMPFeature) {
			return "no stream feature after auth: " + f
		}
		return ""
	})
	pre := preAuthFeatures(t, s)
	if strings.Contains(pre, nsAMPFeature) || !strings.Contains(pre, "mechanisms") {
		t.Errorf("features before authentication: %s", pre)
	}
}
