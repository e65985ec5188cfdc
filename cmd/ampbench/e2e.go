package main

import (
	"context"
	"errors"
	"io"
	"time"
)

// e2eOptions configure the end-to-end mode.
type e2eOptions struct {
	server       string
	duration     time.Duration
	count        int64
	senders      int
	offline      int
	offlineEvery int
	window       int
	rate         int
	keep         bool
}

func runE2E(ctx context.Context, o e2eOptions, stdout, stderr io.Writer) ([]result, error) {
	return nil, errors.New("todo")
}

func printRatios(w io.Writer, rows []result) {}
