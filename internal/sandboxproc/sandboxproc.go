// Package sandboxproc is the process plumbing shared by the sandbox servers of the tests and of
// `make run` (internal/prosodytest, internal/ejabberdtest): finding the repository, running its
// install scripts, starting a server with its output in a file, waiting for its ports, and
// reading the end of its logs.
package sandboxproc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// RepoRoot returns the directory containing go.mod, walking up from the working directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("sandboxproc: %w", err)
	}
	for range 64 {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", errors.New("sandboxproc: no go.mod above the working directory")
}

// RunScript runs scripts/NAME of the repository with sh, its output to log.
func RunScript(ctx context.Context, name string, log io.Writer) error {
	root, err := RepoRoot()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "/bin/sh", filepath.Join(root, "scripts", name))
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// Launch starts cmd with its standard output and error appended to the file output, and
// returns a channel closed once the process has exited (and the file is closed).
func Launch(cmd *exec.Cmd, output string) (<-chan struct{}, error) {
	out, err := os.OpenFile(output, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		out.Close()
		close(done)
	}()
	return done, nil
}

// WaitListening polls each address until it accepts a connection; it fails when the process
// ends first (done closed) or ctx ends.
func WaitListening(ctx context.Context, done <-chan struct{}, addrs ...string) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for _, addr := range addrs {
		for {
			var d net.Dialer
			dctx, cancel := context.WithTimeout(ctx, time.Second)
			conn, err := d.DialContext(dctx, "tcp", addr)
			cancel()
			if err == nil {
				conn.Close()
				break
			}
			select {
			case <-done:
				return fmt.Errorf("the server exited before %s accepted connections", addr)
			case <-ctx.Done():
				return fmt.Errorf("%s: %w", addr, ctx.Err())
			case <-tick.C:
			}
		}
	}
	return nil
}

// Tail returns the last n lines of the file at path, or the error in parentheses.
func Tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")\n"
	}
	lines := strings.SplitAfter(string(data), "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "")
}

// FillFreePorts sets each port that is 0 to a free loopback port, all of them distinct: the
// listeners are held until every port is picked, since the kernel may hand the same port to
// two listeners opened one after the other. Another process may still take a port before the
// server binds it; the server's start then fails visibly.
func FillFreePorts(ports ...*int) error {
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	for _, p := range ports {
		if *p != 0 {
			continue
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("sandboxproc: free port: %w", err)
		}
		held = append(held, l)
		*p = l.Addr().(*net.TCPAddr).Port
	}
	return nil
}

// FreePort is FillFreePorts for one port.
func FreePort() (int, error) {
	var port int
	err := FillFreePorts(&port)
	return port, err
}
