package testserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ampd-xmpp/ampd/internal/sandboxproc"
)

// ampdStopTimeout bounds how long Stop waits after SIGTERM before SIGKILL.
const ampdStopTimeout = 10 * time.Second

// Ampd is an ampd binary running as its own process, as in production: `make run`, the
// integration suite's binary tests and ampbench's isolated mode start it with StartAmpd.
type Ampd struct {
	cmd     *exec.Cmd
	done    chan struct{} // closed when the process has exited
	err     error         // its exit status, once done is closed
	logPath string
}

// StartAmpd runs `bin run --config cfgPath` in its own process group (a terminal's Ctrl-C
// reaches the caller, which then stops ampd in order; should the caller die, ampd gets
// SIGTERM). Everything it prints is appended to logPath and, when echo is not nil, copied
// line by line to echo after prefix.
func StartAmpd(bin, cfgPath, logPath string, echo io.Writer, prefix string) (*Ampd, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("ampd log: %w", err)
	}
	pr, pw := io.Pipe()
	cmd := exec.Command(bin, "run", "--config", cfgPath)
	cmd.Stdout, cmd.Stderr = pw, pw
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting %s: %w (build it with make build)", bin, err)
	}
	p := &Ampd{cmd: cmd, done: make(chan struct{}), logPath: logPath}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			fmt.Fprintln(logFile, sc.Text())
			if echo != nil {
				fmt.Fprintln(echo, prefix+sc.Text())
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

// PID is ampd's process id.
func (p *Ampd) PID() int { return p.cmd.Process.Pid }

// LogPath is the file ampd's output goes to.
func (p *Ampd) LogPath() string { return p.logPath }

// Done is closed when ampd has exited; Err is its exit status then.
func (p *Ampd) Done() <-chan struct{} { return p.done }

// Err is ampd's exit status, once Done is closed.
func (p *Ampd) Err() error { return p.err }

// WaitReady polls http://httpListen/readyz until it answers 200 (connected, and the
// server's privilege announcement has arrived), ampd exits, or ctx ends; the error then
// carries the end of ampd's log.
func (p *Ampd) WaitReady(ctx context.Context, httpListen string) error {
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
			return fmt.Errorf("ampd exited while starting (%v); the end of %s:\n%s", p.err, p.logPath, sandboxproc.Tail(p.logPath, 15))
		case <-ctx.Done():
			return fmt.Errorf("ampd did not become ready (%s: %s); the end of %s:\n%s", url, last, p.logPath, sandboxproc.Tail(p.logPath, 15))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Stop sends SIGTERM and waits; after ampdStopTimeout it sends SIGKILL and says so.
// Stopping an exited ampd is a no-op.
func (p *Ampd) Stop() error {
	select {
	case <-p.done:
		return nil
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("SIGTERM to ampd (pid %d): %w", p.PID(), err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(ampdStopTimeout):
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	return fmt.Errorf("ampd (pid %d) did not stop within %v of SIGTERM and was killed", p.PID(), ampdStopTimeout)
}

// Kill9 ends ampd at once, as a crash would, and waits for it.
func (p *Ampd) Kill9() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// BuildAmpd builds this checkout's ampd (./cmd/ampd) into dir and returns the binary's path,
// for callers that run it as its own process without a `make build` first.
func BuildAmpd(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "ampd")
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/ampd-xmpp/ampd/cmd/ampd").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("building ampd (run from the repository, or give a built binary): %v\n%s", err, out)
	}
	return bin, nil
}
