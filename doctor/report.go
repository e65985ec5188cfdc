// Package doctor walks the chain from ampd's configuration to the XMPP server and its module
// and reports each link as a checklist, every failed line with the exact fix for the server
// family it finds (ampd doctor). It connects as the component itself, so it runs while ampd
// is stopped: a server accepts one connection per component. With a probe account it also
// logs in as a client (client.go, probe.go), beside its own connection or a running ampd.
package doctor

import (
	"fmt"
	"io"
	"strings"
)

// Status is the outcome of one check.
type Status int

const (
	Pass    Status = iota // ✓
	Fail                  // ✗: the fix says what to change
	Skipped               // -: not checked, because an earlier check failed
	Note                  // ·: worth knowing, not wrong
)

func (s Status) mark() string {
	return [...]string{"✓", "✗", "-", "·"}[s]
}

// Check is one line of the checklist.
type Check struct {
	Name   string // what was checked: "configuration", "tcp", "handshake", "privileges localhost", …
	Status Status
	Detail string // what was found
	Fix    string // for Fail: what to change, per server family; may span lines
}

// Report is the checklist of one run.
type Report struct {
	Checks []Check
	Family Family // the server family detected, or Unknown
}

// OK reports whether every check passed (notes and nothing else).
func (r *Report) OK() bool {
	for _, c := range r.Checks {
		if c.Status == Fail || c.Status == Skipped {
			return false
		}
	}
	return len(r.Checks) > 0
}

// Find returns the check with the given name.
func (r *Report) Find(name string) (Check, bool) {
	for _, c := range r.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return Check{}, false
}

func (r *Report) add(c Check) { r.Checks = append(r.Checks, c) }

func (r *Report) pass(name, format string, args ...any) {
	r.add(Check{Name: name, Status: Pass, Detail: fmt.Sprintf(format, args...)})
}

func (r *Report) fail(name, fix, format string, args ...any) {
	r.add(Check{Name: name, Status: Fail, Detail: fmt.Sprintf(format, args...), Fix: fix})
}

func (r *Report) note(name, format string, args ...any) {
	r.add(Check{Name: name, Status: Note, Detail: fmt.Sprintf(format, args...)})
}

func (r *Report) skip(because string, names ...string) {
	for _, n := range names {
		r.add(Check{Name: n, Status: Skipped, Detail: "not checked: " + because})
	}
}

// Write prints the checklist, one line per check and its fix indented below it.
func (r *Report) Write(w io.Writer) {
	for _, c := range r.Checks {
		fmt.Fprintf(w, "%s %s: %s\n", c.Status.mark(), c.Name, strings.ReplaceAll(c.Detail, "\n", "\n    "))
		if c.Fix != "" {
			for line := range strings.SplitSeq(strings.TrimRight(c.Fix, "\n"), "\n") {
				fmt.Fprintf(w, "    %s\n", line)
			}
		}
	}
	if r.OK() {
		fmt.Fprintln(w, "all checks passed")
	} else {
		fmt.Fprintln(w, "some checks failed: apply the fixes above, then run ampd doctor again")
	}
}
