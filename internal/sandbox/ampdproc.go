package main

import (
	"context"
	"io"

	"github.com/ampd-xmpp/ampd/internal/testserver"
)

// startAmpd runs the ampd binary (testserver.StartAmpd); every line it prints goes to
// logPath and, when echo is not nil, to echo with a prefix.
func startAmpd(bin, cfgPath, logPath string, echo io.Writer) (*testserver.Ampd, error) {
	amp, err := testserver.StartAmpd(bin, cfgPath, logPath, echo, "  ampd │ ")
	if err != nil {
		return nil, &problem{what: "cannot start ampd", err: err, fix: "run `make build` (or pass -ampd with the path of the ampd binary)"}
	}
	return amp, nil
}

// waitReady waits for ampd's /readyz and explains a failure.
func waitReady(ctx context.Context, amp *testserver.Ampd, httpListen string) error {
	if err := amp.WaitReady(ctx, httpListen); err != nil {
		return &problem{what: "ampd did not become ready", err: err, fix: "read ampd's log (all of it in " + amp.LogPath() + ")"}
	}
	return nil
}
