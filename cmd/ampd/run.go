package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/ampd-xmpp/ampd/config"
	"github.com/ampd-xmpp/ampd/daemon"
	"github.com/ampd-xmpp/ampd/metrics"
	"github.com/ampd-xmpp/ampd/ops"
)

func runCommand() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Connect to the XMPP server and process AMP messages",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return run(cmd.Context(), path)
		},
	}
	cmd.Flags().StringVar(&path, "config", "ampd.toml", "configuration file")
	return cmd
}

func run(parent context.Context, path string) error {
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	level := new(slog.LevelVar)
	log, err := newLogger(cfg.Log, level)
	if err != nil {
		return err
	}
	reg, m := metrics.NewRegistry()
	ctx, stop := signal.NotifyContext(parent, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var active activeDaemon // empty while a standby waits for the store's lease
	httpDone := make(chan error, 1)
	if cfg.HTTP.Listen == "" {
		httpDone <- nil
	} else {
		// Listen before connecting, so that a port in use fails the start at once.
		ln, err := ops.Listen(cfg.HTTP.Listen)
		if err != nil {
			return err
		}
		go func(ctx context.Context) { // ctx is the signals' context: it outlives a lost lease's
			httpDone <- ops.ServeListener(ctx, ln, ops.NewHandler(reg, active.Ready, active.Healthy, daemonStatus{&active, m, cfg.Server.Hosts}), log)
		}(ctx)
	}
	ctx, st, releaseStore, err := holdStore(ctx, cfg, log) // postgres: a standby waits here
	if err != nil {
		stop()
		<-httpDone
		return standbyStopped(err)
	}
	d, err := daemon.New(cfg, log, m, daemon.Options{Store: st})
	if err != nil {
		releaseStore()
		return err
	}
	active.Store(d)
	go reloadOnHUP(ctx, path, cfg, d, level, log, m)
	log.Info("ampd starting", "version", version, "config", path, "component", cfg.Component.Domain, "server", cfg.Component.Address, "http", cfg.HTTP.Listen)
	err = d.Run(ctx)
	stop()
	if lost := releaseStore(); lost != nil && err == nil {
		err = lost
	}
	if herr := <-httpDone; herr != nil && err == nil {
		err = herr
	}
	log.Info("ampd stopped")
	return err
}

// reloadOnHUP re-reads the configuration on SIGHUP. A new configuration is decoded and
// validated in full and swapped in only on success; keys that cannot change while running keep
// their old values and are named in the log.
func reloadOnHUP(ctx context.Context, path string, current *config.Config, d *daemon.Daemon, level *slog.LevelVar, log *slog.Logger, m *metrics.Metrics) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		next, err := config.Load(path)
		if err != nil {
			m.ConfigLastReloadSuccessful.Set(0)
			log.Error("configuration reload failed; keeping the running configuration", "err", err)
			continue
		}
		if err := current.Reloadable(next); err != nil {
			log.Warn("some changed keys take effect only after a restart; keeping their running values", "err", err)
		}
		merged := current.ApplyReloadable(next)
		if err := d.Reload(merged); err != nil {
			log.Error("configuration reload failed; keeping the running configuration", "err", err)
			continue
		}
		if err := setLevel(level, merged.Log.Level); err != nil {
			log.Error("configuration reload: bad log.level", "err", err)
		}
		current = merged
		log.Info("configuration reloaded", "config", path)
	}
}

func newLogger(c config.Log, level *slog.LevelVar) (*slog.Logger, error) {
	if err := setLevel(level, c.Level); err != nil {
		return nil, err
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
}

func setLevel(level *slog.LevelVar, name string) error {
	if err := level.UnmarshalText([]byte(name)); err != nil {
		return fmt.Errorf("log.level %q: %w", name, err)
	}
	return nil
}
