package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ampd-xmpp/ampd/config"
	"github.com/ampd-xmpp/ampd/internal/testserver"
)

// ampdRunner runs the ampd binary as a process of its own, as in production, with its store
// on disk and its HTTP endpoint on a fixed port, so that every restart finds both again.
type ampdRunner struct {
	bin, cfgPath, logPath, httpAddr string
	proc                            *testserver.Ampd
	stopped                         bool // SIGSTOPped and not yet continued
}

// ampdConfig is the defaults with the sandbox's connection, quick reconnects, presence policy
// off (the soak is about delivery, not §9: every sender may use every rule), the store and
// the HTTP endpoint.
func ampdConfig(srv *testserver.Server, httpAddr string) *config.Config {
	c := config.Default()
	c.Component.Address, c.Component.Domain, c.Component.Secret = srv.ComponentAddr, srv.ComponentDomain, srv.Secret
	c.Component.ReconnectMin, c.Component.ReconnectMax = 100*time.Millisecond, time.Second
	c.Server.Hosts = []string{srv.Host}
	c.Privacy.PresencePolicy = config.PolicyOff
	c.Store.Path = "ampd.db"
	c.HTTP.Listen = httpAddr
	c.Log.Level, c.Log.Format = "info", "json"
	return c
}

func (a *ampdRunner) start() error {
	p, err := testserver.StartAmpd(a.bin, a.cfgPath, a.logPath, nil, "")
	if err != nil {
		return err
	}
	a.proc, a.stopped = p, false
	return nil
}

func (a *ampdRunner) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	return a.proc.WaitReady(ctx, a.httpAddr)
}

// kill9 ends ampd at once (continuing it first is not needed: SIGKILL ends a stopped process).
func (a *ampdRunner) kill9() {
	a.proc.Kill9()
	a.stopped = false
}

func (a *ampdRunner) signal(sig syscall.Signal) error {
	if err := syscall.Kill(a.proc.PID(), sig); err != nil {
		return fmt.Errorf("%v to ampd (pid %d): %w", sig, a.proc.PID(), err)
	}
	a.stopped = sig == syscall.SIGSTOP
	return nil
}

// alive reports whether the current process has not exited.
func (a *ampdRunner) alive() bool {
	select {
	case <-a.proc.Done():
		return false
	default:
		return true
	}
}

// metric reads one unlabelled gauge or counter from /metrics.
func (a *ampdRunner) metric(name string) (float64, error) {
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get("http://" + a.httpAddr + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, fmt.Errorf("metric %s not found", name)
}

// waitMetric polls a metric until want(value) or ctx ends.
func (a *ampdRunner) waitMetric(ctx context.Context, name string, want func(float64) bool) (float64, error) {
	var v float64
	var err error
	for {
		v, err = a.metric(name)
		if err == nil && want(v) {
			return v, nil
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return v, fmt.Errorf("%s: %w", name, err)
			}
			return v, fmt.Errorf("%s stayed at %v", name, v)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
