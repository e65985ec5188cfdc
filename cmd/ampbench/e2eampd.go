package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ampd-xmpp/ampd/config"
	"github.com/ampd-xmpp/ampd/internal/sandboxproc"
	"github.com/ampd-xmpp/ampd/internal/testserver"
)

// e2eAmpd is ampd running as its own process in front of the sandbox, as in production, so
// that its CPU is its own (/proc/PID/stat) and not mixed with the load generator's.
type e2eAmpd struct {
	proc     *testserver.Ampd
	httpAddr string
}

// startE2EAmpd starts bin with its files in dir and waits until it is ready and knows the
// presences of the want connected clients.
func startE2EAmpd(ctx context.Context, bin, dir string, srv *e2eServer, want int) (*e2eAmpd, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	port, err := sandboxproc.FreePort()
	if err != nil {
		return nil, err
	}
	cfg := config.Default()
	cfg.Component.Address = srv.componentAddr
	cfg.Component.Domain = srv.componentDomain
	cfg.Component.Secret = srv.secret
	cfg.Component.ReconnectMin = 100 * time.Millisecond
	cfg.Component.ReconnectMax = time.Second
	cfg.Server.Hosts = []string{srv.host}
	// same-domain: all clients are local, so no roster fetch; the verdicts are the same as
	// with the roster policy for contacts.
	cfg.Privacy.PresencePolicy = config.PolicySameDomain
	cfg.HTTP.Listen = "127.0.0.1:" + strconv.Itoa(port)
	cfg.Store.Path = filepath.Join(dir, "ampd.db")
	cfg.Log.Level = "warn"
	conf, err := testserver.WriteAmpdConfig(dir, "Written by ampbench -mode e2e.", cfg)
	if err != nil {
		return nil, err
	}
	p, err := testserver.StartAmpd(bin, conf, filepath.Join(dir, "ampd.log"), nil, "")
	if err != nil {
		return nil, err
	}
	a := &e2eAmpd{proc: p, httpAddr: cfg.HTTP.Listen}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := p.WaitReady(wctx, a.httpAddr); err != nil {
		a.stop()
		return nil, fmt.Errorf("ampbench: %w", err)
	}
	err = waitFor(wctx, 15*time.Second, func() bool { return a.presences() >= want },
		fmt.Sprintf("ampbench: ampd did not learn the %d presences of the clients", want))
	if err != nil {
		a.stop()
		return nil, err
	}
	return a, nil
}

func (a *e2eAmpd) pid() int { return a.proc.PID() }

func (a *e2eAmpd) stop() { _ = a.proc.Stop() }

// presences reads ampd_presence_resources from ampd's /metrics; -1 when it cannot.
func (a *e2eAmpd) presences() int {
	client := http.Client{Timeout: time.Second}
	resp, err := client.Get("http://" + a.httpAddr + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "ampd_presence_resources "); ok {
			n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return -1
			}
			return int(n)
		}
	}
	return -1
}
