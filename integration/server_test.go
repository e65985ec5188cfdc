package integration

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/ampd-xmpp/ampd/internal/ejabberdtest"
	"github.com/ampd-xmpp/ampd/internal/prosodytest"
)

// serverKind is the XMPP server the suite runs against: AMPD_TEST_SERVER=prosody (default) or
// ejabberd. The same tests run unchanged against both.
func serverKind() string {
	if k := os.Getenv("AMPD_TEST_SERVER"); k != "" {
		return k
	}
	return "prosody"
}

// serverOptions are the sandbox options the suite uses, for either server.
type serverOptions struct {
	WithoutOffline bool
}

// xmppServer is a running sandbox server of either kind.
type xmppServer struct {
	Host, C2SAddr, ComponentAddr, ComponentDomain, Secret string

	register func(user, pass string) error
	restart  func(ctx context.Context) error
	stop     func() error
	logTail  func(n int) string
}

func (s *xmppServer) Register(user, pass string) error  { return s.register(user, pass) }
func (s *xmppServer) Restart(ctx context.Context) error { return s.restart(ctx) }
func (s *xmppServer) Stop() error                       { return s.stop() }
func (s *xmppServer) LogTail(n int) string              { return s.logTail(n) }

func ensureServerInstalled(ctx context.Context) error {
	switch serverKind() {
	case "prosody":
		if prosodytest.Installed() {
			return nil
		}
		return prosodytest.EnsureInstalled(ctx, os.Stderr)
	case "ejabberd":
		if ejabberdtest.Installed() {
			return nil
		}
		return ejabberdtest.EnsureInstalled(ctx, os.Stderr)
	}
	return fmt.Errorf("AMPD_TEST_SERVER=%q: want prosody or ejabberd", serverKind())
}

func startServer(ctx context.Context, dir string, o serverOptions) (*xmppServer, error) {
	if serverKind() == "ejabberd" {
		s, err := ejabberdtest.Start(ctx, ejabberdtest.Options{Dir: dir, WithoutOffline: o.WithoutOffline})
		if err != nil {
			return nil, err
		}
		return &xmppServer{Host: s.Host, C2SAddr: s.C2SAddr, ComponentAddr: s.ComponentAddr, ComponentDomain: s.ComponentDomain, Secret: s.Secret,
			register: s.Register, restart: s.Restart, stop: s.Stop, logTail: s.LogTail}, nil
	}
	s, err := prosodytest.Start(ctx, prosodytest.Options{Dir: dir, WithoutOffline: o.WithoutOffline})
	if err != nil {
		return nil, err
	}
	return &xmppServer{Host: s.Host, C2SAddr: s.C2SAddr, ComponentAddr: s.ComponentAddr, ComponentDomain: s.ComponentDomain, Secret: s.Secret,
		register: s.Register, restart: s.Restart, stop: s.Stop, logTail: s.LogTail}, nil
}

// startTimeout bounds a sandbox start (ejabberd compiles the module and boots an Erlang VM).
const startTimeout = 2 * time.Minute
