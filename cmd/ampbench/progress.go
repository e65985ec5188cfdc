package main

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// counters are what the progress display shows; the load loops update them.
type counters struct {
	sent, done, errors atomic.Int64
}

// progress prints one line a second (run name, elapsed, totals, rate over the last second)
// until ctx ends.
func progress(ctx context.Context, w io.Writer, name string, c *counters) {
	start := time.Now()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var last int64
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			done := c.done.Load()
			fmt.Fprintf(w, "%-22s %5.1fs sent %10d done %10d  %9d/s  in flight %6d  errors %d\n",
				name, now.Sub(start).Seconds(), c.sent.Load(), done, done-last, c.sent.Load()-done, c.errors.Load())
			last = done
		}
	}
}
