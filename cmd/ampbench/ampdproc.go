package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/ampd-xmpp/ampd/config"
)

// startAmpdProcess runs the ampd binary at bin with the settings of cfg that the isolated
// load needs, logging to dir/ampd.log, and returns a function that stops it (SIGTERM, then
// SIGKILL after 10 s). A separate process is how ampd runs in production: it does not share
// its Go scheduler and collector with the load generator.
func startAmpdProcess(ctx context.Context, bin, dir string, cfg *config.Config) (func(), error) {
	conf := filepath.Join(dir, "ampd.toml")
	text := fmt.Sprintf(`[component]
address = %q
domain = %q
secret = %q
max_queued = %d
[server]
hosts = [%q]
[privacy]
presence_policy = %q
[store]
path = %q
[http]
listen = ""
[log]
level = "warn"
`, cfg.Component.Address, cfg.Component.Domain, cfg.Component.Secret, cfg.Component.MaxQueued,
		cfg.Server.Hosts[0], cfg.Privacy.PresencePolicy, cfg.Store.Path)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "ampd.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "run", "--config", conf)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("ampbench: starting %s: %w (build it with make build)", bin, err)
	}
	return func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		logf.Close()
	}, nil
}
