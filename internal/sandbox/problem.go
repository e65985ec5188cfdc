package main

import (
	"fmt"
	"strings"
)

// problem is a failure explained for the person at the terminal: what went
// wrong, what to do about it, and the underlying error and log lines.
type problem struct {
	what   string // one line: what failed
	fix    string // what to do about it; "" when there is nothing obvious
	err    error  // the underlying error, if any
	detail string // e.g. the tail of a log file
}

func (p *problem) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sandbox: %s", p.what)
	if p.err != nil {
		fmt.Fprintf(&b, "\n  cause: %v", p.err)
	}
	if p.fix != "" {
		fmt.Fprintf(&b, "\n  what to do: %s", p.fix)
	}
	if d := strings.TrimRight(p.detail, "\n"); d != "" {
		fmt.Fprintf(&b, "\n  details:\n    %s", strings.ReplaceAll(d, "\n", "\n    "))
	}
	return b.String()
}

func (p *problem) Unwrap() error { return p.err }
