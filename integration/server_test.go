package integration

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
	// Host is the virtual host (default "localhost"); WithoutAmpd leaves the server module out.
	Host        string
	WithoutAmpd bool
	// S2SPort is the s2s listener's loopback port (0: any free one). S2SPins sends outgoing
	// s2s for each listed domain to that loopback port instead of looking it up in DNS, so
	// that two sandboxes federate on loopback only. Prosody only (see pinsS2S).
	S2SPort int
	S2SPins map[string]int
	// ExtraComponents adds external components to the host (domain → secret). Prosody only.
	ExtraComponents map[string]string
}

// pinsS2S reports whether the server kind supports serverOptions.S2SPins and
// ExtraComponents. The ejabberd sandbox resolves s2s peers with getaddrinfo and has one
// global outgoing s2s port, so it cannot federate several named sandboxes (with their
// component domains) on loopback.
func pinsS2S() bool { return serverKind() == "prosody" }

// prosodyTestdata is where internal/prosodytest keeps its test-only Prosody modules
// (mod_s2s_pin).
const prosodyTestdata = "../internal/prosodytest/testdata"

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
		if len(o.S2SPins) > 0 || len(o.ExtraComponents) > 0 {
			return nil, errors.New("integration: the ejabberd sandbox cannot pin s2s or add components")
		}
		s, err := ejabberdtest.Start(ctx, ejabberdtest.Options{Dir: dir, WithoutOffline: o.WithoutOffline,
			Host: o.Host, WithoutAmpd: o.WithoutAmpd, S2SPort: o.S2SPort})
		if err != nil {
			return nil, err
		}
		return &xmppServer{Host: s.Host, C2SAddr: s.C2SAddr, ComponentAddr: s.ComponentAddr, ComponentDomain: s.ComponentDomain, Secret: s.Secret,
			register: s.Register, restart: s.Restart, stop: s.Stop, logTail: s.LogTail}, nil
	}
	po := prosodytest.Options{Dir: dir, WithoutOffline: o.WithoutOffline, Host: o.Host, WithoutAmpd: o.WithoutAmpd, S2SPort: o.S2SPort}
	if len(o.S2SPins) > 0 {
		testdata, err := filepath.Abs(prosodyTestdata)
		if err != nil {
			return nil, err
		}
		po.ExtraPluginPaths = []string{testdata}
		var pins []string
		for domain, port := range o.S2SPins {
			pins = append(pins, fmt.Sprintf("[%q] = %d", domain, port))
		}
		po.ExtraGlobalConfig = "s2s_pin = { " + strings.Join(pins, ", ") + " }\n" +
			`modules_enabled = { "roster", "saslauth", "dialback", "disco", "ping", "s2s_pin" }`
	}
	for domain, secret := range o.ExtraComponents {
		// The host section is last but for ampd's component: a Component line here starts a
		// section of its own, ended by the next one.
		po.ExtraHostConfig += fmt.Sprintf("\nComponent %q\n\tcomponent_secret = %q\n", domain, secret)
	}
	s, err := prosodytest.Start(ctx, po)
	if err != nil {
		return nil, err
	}
	return &xmppServer{Host: s.Host, C2SAddr: s.C2SAddr, ComponentAddr: s.ComponentAddr, ComponentDomain: s.ComponentDomain, Secret: s.Secret,
		register: s.Register, restart: s.Restart, stop: s.Stop, logTail: s.LogTail}, nil
}

// startTimeout bounds a sandbox start (ejabberd compiles the module and boots an Erlang VM).
const startTimeout = 2 * time.Minute
