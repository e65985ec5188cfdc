package ejabberdtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	startTimeout = 60 * time.Second
	stopTimeout  = 30 * time.Second
	ctlTimeout   = 60 * time.Second
)

// Server is one running sandbox ejabberd.
type Server struct {
	// Domain is the virtual host, Component the domain of ampd's component
	// and ComponentSecret its shared secret.
	Domain, Component, ComponentSecret string
	// C2SAddr and ComponentAddr are the loopback host:port of the client
	// and component listeners.
	C2SAddr, ComponentAddr string
	// Dir holds the configuration, logs, spool and compiled module.
	Dir string

	opts  Options
	ports ports

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has been waited for
	output *lockedBuffer
}

// Start compiles mod_ampd, writes a configuration for opts, starts ejabberd
// in the foreground, waits until its listeners accept connections and
// registers opts.Users. The server is stopped when the test ends. Start
// skips t when ejabberd is not available.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	EnsureInstalled(t)
	owner, err := sandboxOwner()
	if err != nil {
		t.Skipf("ejabberdtest: %v", err)
	}
	s, err := start(opts.withDefaults(), owner)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("ejabberd log tail:\n%s", s.LogTail(80))
		}
		if err := s.Stop(); err != nil {
			t.Errorf("ejabberdtest: stop: %v", err)
		}
		_ = os.RemoveAll(s.Dir)
	})
	for name, password := range opts.Users {
		if err := s.Register(name, password); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// owner is the uid/gid the sandbox directory must belong to.
type owner struct{ uid, gid int }

// sandboxOwner returns the ejabberd user when running as root: the Debian
// ejabberdctl switches to it, and the node must write its pid, logs and
// spool. Any other user than root or ejabberd cannot run ejabberdctl.
func sandboxOwner() (owner, error) {
	u, err := user.Lookup("ejabberd")
	if err != nil {
		return owner{}, fmt.Errorf("no ejabberd user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if euid := os.Geteuid(); euid != 0 && euid != uid {
		return owner{}, errors.New("ejabberdctl runs only as root or the ejabberd user")
	}
	return owner{uid: uid, gid: gid}, nil
}

func start(o Options, own owner) (*Server, error) {
	dir, err := os.MkdirTemp("", "ampd-ejabberd-")
	if err != nil {
		return nil, fmt.Errorf("ejabberdtest: %w", err)
	}
	p, err := freePorts()
	if err != nil {
		return nil, err
	}
	s := &Server{
		Domain:          o.Domain,
		Component:       o.Component,
		ComponentSecret: o.ComponentSecret,
		C2SAddr:         net.JoinHostPort("127.0.0.1", strconv.Itoa(p.c2s)),
		ComponentAddr:   net.JoinHostPort("127.0.0.1", strconv.Itoa(p.component)),
		Dir:             dir,
		opts:            o,
		ports:           p,
		output:          &lockedBuffer{},
	}
	if err := s.prepare(own); err != nil {
		return nil, err
	}
	if err := s.launch(); err != nil {
		return nil, err
	}
	if o.ModuleInstall && !o.WithoutAmpd {
		if err := s.moduleInstall(); err != nil {
			_ = s.Stop()
			return nil, err
		}
	}
	return s, nil
}

// moduleInstall compiles and loads the staged sources inside the node.
func (s *Server) moduleInstall() error {
	ctx, cancel := context.WithTimeout(context.Background(), ctlTimeout)
	defer cancel()
	out, err := s.ctl(ctx, "module_install", "mod_ampd").CombinedOutput()
	if err != nil {
		return fmt.Errorf("ejabberdtest: module_install mod_ampd: %w\n%s\n%s", err, out, s.LogTail(40))
	}
	return nil
}

// prepare writes the sandbox directory and hands it to the ejabberd user.
func (s *Server) prepare(own owner) error {
	for _, sub := range []string{"logs", "spool", "ebin", "contrib"} {
		if err := os.MkdirAll(filepath.Join(s.Dir, sub), 0o750); err != nil {
			return fmt.Errorf("ejabberdtest: %w", err)
		}
	}
	switch {
	case s.opts.WithoutAmpd:
	case s.opts.ModuleInstall:
		if err := stageModuleSources(filepath.Join(s.Dir, "contrib"), s.opts); err != nil {
			return err
		}
	default:
		if err := compileModule(filepath.Join(s.Dir, "ebin")); err != nil {
			return err
		}
	}
	files := map[string]string{
		"ejabberdctl.cfg": ejabberdctlConfig(s.Dir, s.ports),
		"ejabberd.yml":    ejabberdConfig(s.opts, s.ports),
		// ejabberdctl points ERL_INETRC here; the node complains if absent.
		"inetrc": "{lookup, [file, native]}.\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(s.Dir, name), []byte(content), 0o640); err != nil {
			return fmt.Errorf("ejabberdtest: %w", err)
		}
	}
	if os.Geteuid() != 0 {
		return nil
	}
	return filepath.WalkDir(s.Dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, own.uid, own.gid)
	})
}

// ctl runs ejabberdctl with the sandbox's directories and arguments.
func (s *Server) ctl(ctx context.Context, args ...string) *exec.Cmd {
	base := []string{
		"--config-dir", s.Dir,
		"--logs", filepath.Join(s.Dir, "logs"),
		"--spool", filepath.Join(s.Dir, "spool"),
	}
	cmd := exec.CommandContext(ctx, "ejabberdctl", append(base, args...)...)
	// Its own process group, so that Stop can end exactly what it started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// launch starts the node in the foreground and waits for its listeners.
func (s *Server) launch() error {
	cmd := s.ctl(context.Background(), "foreground")
	cmd.Stdout, cmd.Stderr = s.output, s.output
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("ejabberdtest: start ejabberdctl: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()
	deadline := time.Now().Add(startTimeout)
	for _, addr := range []string{s.C2SAddr, s.ComponentAddr} {
		if err := waitForListener(addr, deadline, exited); err != nil {
			_ = s.Stop()
			return fmt.Errorf("ejabberdtest: %w\n%s", err, s.LogTail(60))
		}
	}
	return nil
}

// Stop stops the node with "ejabberdctl stop" and waits for it to exit;
// a node that does not exit in time has its process group killed (only
// the processes Start started are in it). Stopping a stopped server is
// a no-op.
func (s *Server) Stop() error {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	select {
	case <-exited:
		return nil
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	stopErr := s.ctl(ctx, "stop").Run()
	select {
	case <-exited:
		return nil
	case <-ctx.Done():
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-exited
	return fmt.Errorf("ejabberdtest: node did not stop in %v (ejabberdctl stop: %v); killed", stopTimeout, stopErr)
}

// Restart stops the node and starts it again with the same configuration
// and data (registered users stay).
func (s *Server) Restart() error {
	if err := s.Stop(); err != nil {
		return err
	}
	return s.launch()
}

// Register creates an account on the server's domain.
func (s *Server) Register(name, password string) error {
	ctx, cancel := context.WithTimeout(context.Background(), ctlTimeout)
	defer cancel()
	out, err := s.ctl(ctx, "register", name, s.Domain, password).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ejabberdtest: register %s: %w\n%s", name, err, out)
	}
	return nil
}

// LogTail returns the last n lines of the node's log followed by the last
// n lines of what ejabberdctl printed, for failure messages.
func (s *Server) LogTail(n int) string {
	logged, _ := os.ReadFile(filepath.Join(s.Dir, "logs", "ejabberd.log"))
	return "--- ejabberd.log\n" + lastLines(string(logged), n) +
		"--- ejabberdctl output\n" + lastLines(s.output.String(), n)
}

func lastLines(text string, n int) string {
	lines := strings.SplitAfter(text, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "")
}

// freePorts returns three loopback ports that were free a moment ago.
func freePorts() (ports, error) {
	var found [3]int
	for i := range found {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return ports{}, fmt.Errorf("ejabberdtest: %w", err)
		}
		defer l.Close()
		found[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports{c2s: found[0], component: found[1], dist: found[2]}, nil
}

// waitForListener polls addr until it accepts a connection, the node exits
// or the deadline passes.
func waitForListener(addr string, deadline time.Time, exited <-chan struct{}) error {
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("ejabberd exited during start")
		default:
		}
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("nothing listens on %s after %v", addr, startTimeout)
}

// lockedBuffer collects the node's output from the exec goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
