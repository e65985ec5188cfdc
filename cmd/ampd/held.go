package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ampd-xmpp/ampd/config"
	"github.com/ampd-xmpp/ampd/store"
)

// heldCommand is "ampd held …": the operator's view of the store of held messages
// (amp-semantics §7). Every subcommand refuses to run while ampd holds the store file.
func heldCommand() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "held",
		Short: "List, show, drop and recover the messages ampd holds (expire-at)",
	}
	cmd.PersistentFlags().StringVar(&path, "config", "ampd.toml", "configuration file (for store.path)")
	cmd.AddCommand(
		&cobra.Command{
			Use:   "list",
			Short: "List held messages: id, recipient, received, next deadline, state",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return withStore(path, true, func(st store.Backend) error { return listHeld(cmd.OutOrStdout(), st) })
			},
		},
		&cobra.Command{
			Use:   "show ID",
			Short: "Show one held message with its rules' deadlines",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				id, err := parseID(args[0])
				if err != nil {
					return err
				}
				return withStore(path, true, func(st store.Backend) error {
					r, err := st.Get(id)
					if err != nil {
						return fmt.Errorf("held message %d: %w", id, err)
					}
					printRecord(cmd.OutOrStdout(), &r)
					return nil
				})
			},
		},
		&cobra.Command{
			Use:   "drop ID",
			Short: "Remove one held message for good (it is neither delivered nor expired)",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				id, err := parseID(args[0])
				if err != nil {
					return err
				}
				return withStore(path, false, func(st store.Backend) error {
					r, err := st.Get(id)
					if err != nil {
						return fmt.Errorf("held message %d: %w", id, err)
					}
					if err := st.Delete(id); err != nil {
						return err
					}
					fmt.Fprintln(cmd.OutOrStdout(), "dropped:")
					printRecord(cmd.OutOrStdout(), &r)
					return nil
				})
			},
		},
		&cobra.Command{
			Use:   "recover",
			Short: "Salvage the readable held messages of a damaged store into a new file; the damaged file is moved aside",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				file, err := storePath(path)
				if err != nil {
					return err
				}
				if file == "" {
					return errors.New("held recover salvages a damaged embedded store file; with store.backend = \"postgres\" PostgreSQL recovers its own data, and ampd names any record it cannot read with the SQL that removes it")
				}
				p := newProgress(os.Stderr, "recovering")
				res, err := store.Recover(file, time.Now(), p.update)
				p.finish()
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				fmt.Fprintf(out, "%s: %d held messages salvaged, %d unreadable", file, res.Salvaged, res.Skipped)
				if len(res.SkippedIDs) > 0 {
					fmt.Fprintf(out, " (ids %v)", res.SkippedIDs)
				}
				fmt.Fprintln(out)
				if res.Stopped != nil {
					fmt.Fprintf(out, "reading stopped after id %d: %v; later records could not be reached\n", res.LastID, res.Stopped)
				}
				fmt.Fprintf(out, "the damaged file is kept as %s\n", res.Aside)
				return nil
			},
		},
	)
	return cmd
}

func parseID(s string) (uint64, error) {
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil || id == 0 {
		return 0, fmt.Errorf("held: %q is not a held message id (see ampd held list)", s)
	}
	return id, nil
}

// storePath returns the file of the embedded store, or "" for another backend.
func storePath(configPath string) (string, error) {
	cfg, err := config.Load(configPath)
	if err != nil {
		return "", err
	}
	if cfg.Store.Backend != config.BackendEmbedded {
		return "", nil
	}
	return cfg.Store.Path, nil
}

// withStore opens the store named by the configuration for f. Read-only opens share the
// file with each other but, like writes, not with a running ampd.
func withStore(configPath string, readOnly bool, f func(store.Backend) error) error {
	cfg, err := config.Load(configPath)
	if err != nil {
		return err
	}
	if cfg.Store.Backend == config.BackendPostgres {
		return withSharedStore(cfg, readOnly, f)
	}
	file := cfg.Store.Path
	st, err := store.Open(file, store.Options{ReadOnly: readOnly})
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("%w (ampd held needs the store to itself, even to read it)", err)
	}
	if err != nil {
		return err
	}
	defer st.Close()
	return f(st)
}

func listHeld(w io.Writer, st store.Backend) error {
	total, err := st.Len()
	if err != nil {
		return err
	}
	p := newProgress(os.Stderr, "listing")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRECIPIENT\tRECEIVED\tNEXT DEADLINE\tSTATE")
	done := 0
	err = st.ForEach(func(r store.Record) error {
		next := "-"
		if at, ok := r.NextDeadline(); ok {
			next = at.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", r.ID, r.Recipient, r.Received.UTC().Format(time.RFC3339), next, r.State)
		done++
		p.update(done, total)
		return nil
	})
	p.finish()
	if err != nil {
		return err
	}
	return tw.Flush()
}

func printRecord(w io.Writer, r *store.Record) {
	fmt.Fprintf(w, "id:        %d\nhost:      %s\nrecipient: %s\nreceived:  %s\nstate:     %s\n",
		r.ID, r.Host, r.Recipient, r.Received.UTC().Format(time.RFC3339Nano), r.State)
	if r.State == store.Expiring {
		fmt.Fprintf(w, "expiring:  rule %d\n", r.Rule)
	}
	for _, d := range r.Deadlines {
		fired := ""
		if r.HasFired(d.Rule) {
			fired = " (notified)"
		}
		fmt.Fprintf(w, "deadline:  rule %d at %s%s\n", d.Rule, d.At.UTC().Format(time.RFC3339Nano), fired)
	}
	fmt.Fprintf(w, "message:   %s\n", r.Message)
}

// progress reports a long operation on stderr: one line updated in place on a terminal,
// a line every few seconds otherwise.
type progress struct {
	w     io.Writer
	label string
	tty   bool
	last  time.Time
	shown bool
}

func newProgress(f *os.File, label string) *progress {
	fi, err := f.Stat()
	// last starts now, so that an operation shorter than one interval shows nothing.
	return &progress{w: f, label: label, tty: err == nil && fi.Mode()&os.ModeCharDevice != 0, last: time.Now()}
}

func (p *progress) update(done, total int) {
	every := 5 * time.Second
	if p.tty {
		every = 100 * time.Millisecond
	}
	if now := time.Now(); now.Sub(p.last) >= every || (done == total && p.shown) {
		p.last = now
		p.shown = true
		if p.tty {
			fmt.Fprintf(p.w, "\r%s %d/%d", p.label, done, total)
		} else {
			fmt.Fprintf(p.w, "%s %d/%d\n", p.label, done, total)
		}
	}
}

func (p *progress) finish() {
	if p.tty && p.shown {
		fmt.Fprintln(p.w)
	}
}
