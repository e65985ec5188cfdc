package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run parses the flags, runs the chosen mode and prints the summary. It fails when the run
// had errors (lost, mismatched or refused messages), never because of a timing.
func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ampbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mode := fs.String("mode", "isolated", "isolated | e2e | floor")
	duration := fs.Duration("duration", 5*time.Second, "length of each measured run")
	count := fs.Int64("n", 50_000_000, "most messages per measured run")
	rate := fs.Int("rate", 0, "isolated: diverts per second (0: as fast as ampd takes them)")
	window := fs.Int("window", 1024, "isolated: most diverts in flight")
	batch := fs.Int("batch", 64, "isolated: most diverts per write")
	templates := fs.Int("templates", 4096, "isolated: distinct diverts in the mix")
	recipients := fs.Int("recipients", 10000, "isolated: distinct recipients")
	online := fs.Float64("online", 0.5, "isolated: share of recipients with a preloaded presence")
	cpuprofile := fs.String("cpuprofile", "", "isolated: write a CPU profile of the measured run to this file")
	traceFile := fs.String("trace", "", "isolated: write an execution trace of the measured run to this file (keep -duration short)")
	ampdBin := fs.String("ampd-bin", "", "isolated: run this ampd binary (make build: bin/ampd) as its own process instead of in-process; e2e: the ampd binary to run (default: built from this checkout)")
	idle := fs.Duration("idle", 0, "isolated with -ampd-bin: first measure ampd's CPU this long with no load (e.g. 10s)")
	server := fs.String("server", "prosody", "e2e: the sandbox server: "+strings.Join(e2eServerKinds, ", "))
	senders := fs.Int("senders", 8, "e2e: sending clients (as many online recipients)")
	offline := fs.Int("offline", 4, "e2e: offline recipients")
	offlineEvery := fs.Int("offline-every", 10, "e2e: every n-th message goes to an offline recipient (0: none)")
	e2eWindow := fs.Int("e2e-window", 16, "e2e: most messages in flight per sender")
	e2eRate := fs.Int("e2e-rate", 500, "e2e: messages per second of the fixed-rate runs (0: skip them)")
	ampRule := fs.String("amp-rule", "stored", "e2e: the AMP messages' rule: stored (notify when stored offline) or direct (notify on every direct delivery)")
	erlBusyWait := fs.Bool("erl-busy-wait", false, "e2e, ejabberd: leave the Erlang VM's schedulers busy-waiting when idle, as a stock ejabberd does (their spinning counts as server CPU)")
	rounds := fs.Int("rounds", 2, "e2e: rounds of plain without the module, plain, floor and ampd, alternating")
	keep := fs.Bool("keep", false, "e2e: keep the sandbox directory")
	addr := fs.String("addr", "", "floor: the server's component listener host:port")
	domain := fs.String("domain", "", "floor: the component domain")
	secret := fs.String("secret", "", "floor: the component secret")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	fmt.Fprintf(stdout, "ampbench %s on %d CPUs (GOMAXPROCS %d), %s\n", *mode, runtime.NumCPU(), runtime.GOMAXPROCS(0), time.Now().UTC().Format(time.RFC3339))
	switch *mode {
	case "isolated":
		r, err := runIsolated(ctx, isolatedOptions{
			duration: *duration, count: *count, rate: *rate, window: *window, batch: *batch,
			mix:        mixOptions{templates: *templates, recipients: *recipients, online: *online, seed: 1},
			cpuprofile: *cpuprofile, trace: *traceFile, ampdBin: *ampdBin, idle: *idle,
		}, stderr)
		if err != nil {
			return err
		}
		printTable(stdout, []result{r})
		return failOnErrors([]result{r})
	case "e2e":
		rows, err := runE2E(ctx, e2eOptions{
			server: *server, duration: *duration, count: *count, senders: *senders, offline: *offline,
			offlineEvery: *offlineEvery, window: *e2eWindow, rate: *e2eRate, rounds: *rounds, ampRule: *ampRule, erlBusyWait: *erlBusyWait, ampdBin: *ampdBin, keep: *keep,
		}, stdout, stderr)
		if len(rows) > 0 {
			printTable(stdout, rows)
			printRatios(stdout, rows)
		}
		if err != nil {
			return err
		}
		return failOnErrors(rows)
	case "floor":
		return runFloor(ctx, *addr, *domain, *secret, *duration, stderr)
	}
	return fmt.Errorf("ampbench: unknown -mode %q", *mode)
}

func failOnErrors(rows []result) error {
	for _, r := range rows {
		if r.errors > 0 {
			return fmt.Errorf("ampbench: %s had %d errors", r.name, r.errors)
		}
	}
	return nil
}
