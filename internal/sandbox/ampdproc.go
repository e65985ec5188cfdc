package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/ampd-xmpp/ampd/internal/sandboxproc"
)

// ampdStopTimeout bounds how long stop waits after SIGTERM before SIGKILL.
const ampdStopTimeout = 10 * time.Second

// ampdProc is the running ampd binary.
type ampdProc struct {
	cmd     *exec.Cmd
	done    chan struct{} // closed when the process has exited
	err     error         // its exit status, once done is closed
	logPath string
}

// startAmpd runs `bin run --config cfgPath` in its own process group (so a
// terminal's Ctrl-C reaches the sandbox, which then stops ampd in order).
// Every line it prints goes to logPath and, when echo is not nil, to echo
// with a prefix.
func startAmpd(bin, cfgPath, logPath string, echo io.Writer) (*ampdProc, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, &problem{what: "cannot write " + logPath, err: err, fix: "check the permissions of the sandbox directory"}
	}
	pr, pw := io.Pipe()
	cmd := exec.Command(bin, "run", "--config", cfgPath)
	cmd.Stdout, cmd.Stderr = pw, pw
	// Pdeathsig: should the sandbox itself be killed, ampd goes too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, &problem{what: "cannot start " + bin, err: err, fix: "run `make build` (or pass -ampd with the path of the ampd binary)"}
	}
	p := &ampdProc{cmd: cmd, done: make(chan struct{}), logPath: logPath}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			fmt.Fprintln(logFile, sc.Text())
			if echo != nil {
				fmt.Fprintln(echo, "  ampd │ "+sc.Text())
			}
		}
		_, _ = io.Copy(logFile, pr) // a line too long for the scanner: keep draining
	}()
	go func() {
		p.err = cmd.Wait()
		pw.Close()
		<-copied
		logFile.Close()
		close(p.done)
	}()
	return p, nil
}

// pid is the process id of ampd.
func (p *ampdProc) pid() int { return p.cmd.Process.Pid }

// waitReady polls ampd's /readyz until it answers 200 (connected, and the
// server's privilege announcement has arrived), ampd exits, or ctx ends.
func (p *ampdProc) waitReady(ctx context.Context, httpListen string) error {
	client := &http.Client{Timeout: time.Second}
	url := "http://" + httpListen + "/readyz"
	last := "no answer yet"
	for {
		if resp, err := client.Get(url); err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
		} else {
			last = err.Error()
		}
		select {
		case <-p.done:
			return &problem{what: "ampd exited while starting", err: p.err,
				fix: "read ampd's log below (all of it in " + p.logPath + ")", detail: sandboxproc.Tail(p.logPath, 15)}
		case <-ctx.Done():
			return &problem{what: "ampd did not become ready", err: fmt.Errorf("%s: %s", url, last),
				fix: "read ampd's log below (all of it in " + p.logPath + ")", detail: sandboxproc.Tail(p.logPath, 15)}
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// stop sends SIGTERM to ampd by PID and waits; after ampdStopTimeout it sends
// SIGKILL. Stopping an exited ampd is a no-op.
func (p *ampdProc) stop() error {
	select {
	case <-p.done:
		return nil
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("sandbox: SIGTERM to ampd (pid %d): %w", p.pid(), err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(ampdStopTimeout):
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	return fmt.Errorf("sandbox: ampd (pid %d) did not stop within %v of SIGTERM and was killed", p.pid(), ampdStopTimeout)
}
