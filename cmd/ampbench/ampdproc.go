package main

import (
	"path/filepath"

	"github.com/ampd-xmpp/ampd/config"
	"github.com/ampd-xmpp/ampd/internal/testserver"
)

// startAmpdProcess runs the ampd binary at bin with cfg (written as dir/ampd.toml, warnings
// only), logging to dir/ampd.log, and returns a function that stops it (SIGTERM, then SIGKILL
// after 10 s). A separate process is how ampd runs in production: it does not share its Go
// scheduler and collector with the load generator.
func startAmpdProcess(bin, dir string, cfg *config.Config) (func(), error) {
	c := *cfg
	c.Log.Level = "warn"
	conf, err := testserver.WriteAmpdConfig(dir, "Written by ampbench -ampd-bin.", &c)
	if err != nil {
		return nil, err
	}
	amp, err := testserver.StartAmpd(bin, conf, filepath.Join(dir, "ampd.log"), nil, "")
	if err != nil {
		return nil, err
	}
	return func() { _ = amp.Stop() }, nil
}
