package integration

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ampd-xmpp/ampd/internal/serverkind"
	"github.com/ampd-xmpp/ampd/internal/testserver"
)

// kind is the XMPP server the suite runs against: AMPD_TEST_SERVER names one of
// serverkind.All (default prosody, the host's Prosody 0.12). The same tests run unchanged
// against every one. An unknown name fails TestMain.
var kind, kindErr = serverkind.FromEnv()

// serverKind names the server in messages.
func serverKind() string { return kind.Name }

// serverOptions are the sandbox options the suite uses, for any server.
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
	// S2SBidi loads mod_s2s_bidi (XEP-0288; Debian's configuration leaves it commented out), so
	// that pinned s2s connections are bidirectional, and authenticates s2s with certificates
	// (TLS, SASL EXTERNAL) instead of dialback: dialback's check opens a connection back to the
	// sender, which would then carry the other direction. Prosody only.
	S2SBidi bool
	// ExtraComponents adds external components to the host (domain → secret). Prosody only.
	ExtraComponents map[string]string
	// EjabberdGlobalConfig is appended to ejabberd.yml (ejabberd only; see
	// ejabberdtest.S2SConfig for federating two sandboxes).
	EjabberdGlobalConfig string
}

// pinsS2S reports whether the server kind supports serverOptions.S2SPins and
// ExtraComponents. The ejabberd sandbox resolves s2s peers with getaddrinfo and has one
// global outgoing s2s port, so it cannot federate several named sandboxes (with their
// component domains) on loopback.
func pinsS2S() bool { return kind.Family == serverkind.Prosody }

// prosodyTestdata is where internal/prosodytest keeps its test-only Prosody modules
// (mod_s2s_pin).
const prosodyTestdata = "../internal/prosodytest/testdata"

// xmppServer is a running sandbox server of any kind.
type xmppServer = testserver.Server

func ensureServerInstalled(ctx context.Context) error {
	if kindErr != nil {
		return kindErr
	}
	if testserver.Installed(kind) {
		return nil
	}
	return testserver.EnsureInstalled(ctx, kind, os.Stderr)
}

func startServer(ctx context.Context, dir string, o serverOptions) (*xmppServer, error) {
	so := testserver.Options{Dir: dir, WithoutOffline: o.WithoutOffline, Host: o.Host, WithoutAmpd: o.WithoutAmpd, S2SPort: o.S2SPort,
		EjabberdGlobalConfig: o.EjabberdGlobalConfig}
	if !pinsS2S() {
		if len(o.S2SPins) > 0 || len(o.ExtraComponents) > 0 {
			return nil, errors.New("integration: the ejabberd sandbox cannot pin s2s or add components")
		}
		return testserver.Start(ctx, kind, so)
	}
	if len(o.S2SPins) > 0 {
		testdata, err := filepath.Abs(prosodyTestdata)
		if err != nil {
			return nil, err
		}
		so.ProsodyPluginPaths = []string{testdata}
		var pins []string
		for domain, port := range o.S2SPins {
			pins = append(pins, fmt.Sprintf("[%q] = %d", domain, port))
		}
		modules := `"roster", "saslauth", "dialback", "disco", "ping", "s2s_pin"`
		tls := ""
		if o.S2SBidi {
			modules = `"roster", "saslauth", "tls", "disco", "ping", "s2s_pin", "s2s_bidi"`
			var err error
			if tls, err = writeS2SCerts(dir); err != nil {
				return nil, err
			}
		}
		so.ProsodyGlobalConfig = "s2s_pin = { " + strings.Join(pins, ", ") + " }\n" +
			"modules_enabled = { " + modules + " }\n" + tls
	}
	for domain, secret := range o.ExtraComponents {
		// The host section is last but for ampd's component: a Component line here starts a
		// section of its own, ended by the next one.
		so.ProsodyHostConfig += fmt.Sprintf("\nComponent %q\n\tcomponent_secret = %q\n", domain, secret)
	}
	return testserver.Start(ctx, kind, so)
}

// startTimeout bounds a sandbox start (ejabberd compiles the module and boots an Erlang VM).
const startTimeout = 2 * time.Minute
