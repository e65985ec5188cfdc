package main

import (
	"context"
	"fmt"
	"time"

	"path/filepath"

	"github.com/ampd-xmpp/ampd/config"
	"github.com/ampd-xmpp/ampd/internal/testserver"
)

// startAmpdProcess runs the ampd binary at bin with cfg (written as dir/ampd.toml, warnings
// only), logging to dir/ampd.log, and returns its process id (whose CPU time the run reports)
// and a function that stops it (SIGTERM, then SIGKILL after 10 s). A separate process is how
// ampd runs in production: it does not share its Go scheduler and collector with the load
// generator.
func startAmpdProcess(bin, dir string, cfg *config.Config) (int, func(), error) {
	c := *cfg
	c.Log.Level = "warn"
	conf, err := testserver.WriteAmpdConfig(dir, "Written by ampbench -ampd-bin.", &c)
	if err != nil {
		return 0, nil, err
	}
	amp, err := testserver.StartAmpd(bin, conf, filepath.Join(dir, "ampd.log"), nil, "")
	if err != nil {
		return 0, nil, err
	}
	return amp.PID(), func() { _ = amp.Stop() }, nil
}

// ampdIdleCPU measures the CPU time ampd (process pid) uses in d while nothing is sent to it:
// what an idle ampd costs its host (timers, keepalives, the runtime). It returns the share of
// a core, "" where there is no /proc.
func ampdIdleCPU(ctx context.Context, pid int, d time.Duration) string {
	m := newCPUMeter(0, pid)
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
	u := m.done()
	if !u.ampdKnown {
		return ""
	}
	return fmt.Sprintf("ampd idle %s: CPU %s (%.3f%% of a core)", d, u.ampd, 100*u.ampd.Seconds()/d.Seconds())
}
