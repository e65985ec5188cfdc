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
	"time"

	"github.com/ampd-xmpp/ampd/internal/sandboxproc"
	"github.com/ampd-xmpp/ampd/internal/serverkind"
)

// stopTimeout bounds how long Stop waits for "ejabberdctl stop" and the
// node's exit before it kills the process group Start created.
const stopTimeout = 30 * time.Second

// startTimeout bounds Start and Restart when ctx has no deadline.
const startTimeout = 60 * time.Second

// ctlTimeout bounds one ejabberdctl command (each starts an Erlang VM).
const ctlTimeout = 60 * time.Second

// Server is one running sandbox ejabberd.
type Server struct {
	// Host is the virtual host; ComponentDomain and Secret are ampd's
	// component domain and shared secret.
	Host, ComponentDomain, Secret string
	// C2SAddr, ComponentAddr and S2SAddr are the loopback host:port of the
	// client, component and server-to-server listeners.
	C2SAddr, ComponentAddr, S2SAddr string
	// Dir holds everything; ConfigPath is ejabberd.yml and LogPath the
	// node's log.
	Dir, ConfigPath, LogPath string
	// Node is the Erlang node name (join_cluster takes it).
	Node string

	opts   Options
	ports  ports
	output string // where ejabberdctl's stdout and stderr go

	mu   sync.Mutex
	cmd  *exec.Cmd
	done <-chan struct{} // closed when cmd has exited
}

// Start writes the configuration for o into o.Dir, compiles mod_ampd,
// starts "ejabberdctl foreground", waits until the c2s and component ports
// accept connections, then registers o.Users (ejabberdctl needs the running
// node for that). The server runs until Stop, independently of ctx, which
// bounds only the start.
//
// The Debian ejabberdctl runs the node as the ejabberd user when called by
// root, so Start must run as root or as that user, and o.Dir is handed to
// it.
func Start(ctx context.Context, o Options) (*Server, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if !InstalledIn(o.Root) {
		if o.Root != "" {
			return nil, fmt.Errorf("ejabberdtest: ejabberdctl or erlc is not installed in %s (see scripts/install-trixie.sh)", o.Root)
		}
		return nil, errors.New("ejabberdtest: ejabberdctl or erlc is not installed (see scripts/install-ejabberd.sh)")
	}
	own, err := sandboxOwner(o.Root)
	if err != nil {
		return nil, err
	}
	p := ports{c2s: o.C2SPort, component: o.ComponentPort, s2s: o.S2SPort, dist: o.DistPort}
	if err := sandboxproc.FillFreePorts(&p.c2s, &p.component, &p.s2s, &p.dist); err != nil {
		return nil, err
	}
	s := &Server{
		Host:            o.Host,
		ComponentDomain: o.ComponentDomain,
		Secret:          o.ComponentSecret,
		C2SAddr:         net.JoinHostPort("127.0.0.1", strconv.Itoa(p.c2s)),
		ComponentAddr:   net.JoinHostPort("127.0.0.1", strconv.Itoa(p.component)),
		S2SAddr:         net.JoinHostPort("127.0.0.1", strconv.Itoa(p.s2s)),
		Dir:             o.Dir,
		ConfigPath:      filepath.Join(o.Dir, "ejabberd.yml"),
		LogPath:         filepath.Join(o.Dir, "logs", "ejabberd.log"),
		Node:            nodeName(o.DistAddr, p.dist),
		opts:            o,
		ports:           p,
		output:          filepath.Join(o.Dir, "ejabberd.out"),
	}
	if err := s.prepare(ctx, own); err != nil {
		return nil, err
	}
	if err := s.start(ctx); err != nil {
		return nil, err
	}
	if o.ModuleInstall && !o.WithoutAmpd {
		if err := s.ctlRun("module_install", "mod_ampd"); err != nil {
			_ = s.Stop()
			return nil, fmt.Errorf("%w\n%s", err, s.LogTail(30))
		}
	}
	for name, pass := range o.Users {
		if err := s.Register(name, pass); err != nil {
			_ = s.Stop()
			return nil, err
		}
	}
	return s, nil
}

// owner is the uid/gid the sandbox directory must belong to.
type owner struct{ uid, gid int }

// sandboxOwner returns the ejabberd user of root ("" for the host): the node runs as that
// user.
func sandboxOwner(root string) (owner, error) {
	uid, gid, err := ejabberdUser(root)
	if err != nil {
		return owner{}, err
	}
	if euid := os.Geteuid(); euid != 0 && euid != uid {
		return owner{}, errors.New("ejabberdtest: ejabberdctl runs only as root or as the ejabberd user")
	}
	return owner{uid: uid, gid: gid}, nil
}

// ejabberdUser looks the ejabberd user up on the host, or in root's /etc/passwd (its ids
// differ from the host's).
func ejabberdUser(root string) (uid, gid int, err error) {
	if root == "" {
		u, err := user.Lookup("ejabberd")
		if err != nil {
			return 0, 0, fmt.Errorf("ejabberdtest: no ejabberd user: %w", err)
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		return uid, gid, nil
	}
	passwd, err := os.ReadFile(filepath.Join(root, "etc", "passwd"))
	if err != nil {
		return 0, 0, fmt.Errorf("ejabberdtest: %w", err)
	}
	for _, line := range strings.Split(string(passwd), "\n") {
		f := strings.Split(line, ":")
		if len(f) >= 4 && f[0] == "ejabberd" {
			uid, err1 := strconv.Atoi(f[2])
			gid, err2 := strconv.Atoi(f[3])
			if err1 == nil && err2 == nil {
				return uid, gid, nil
			}
		}
	}
	return 0, 0, fmt.Errorf("ejabberdtest: no ejabberd user in %s/etc/passwd", root)
}

// prepare writes the sandbox directory and hands it to the ejabberd user.
func (s *Server) prepare(ctx context.Context, own owner) error {
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
		if err := compileModule(ctx, s.opts.Root, s.opts.ModuleDir, filepath.Join(s.Dir, "ebin")); err != nil {
			return err
		}
	}
	distAddr := s.opts.DistAddr
	if distAddr == "" {
		distAddr = "127.0.0.1"
	}
	files := map[string]string{
		"ejabberdctl.cfg": ejabberdctlConfig(s.Dir, s.ports, s.Node, distAddr, s.opts.ErlOptions, s.opts.Cookie),
		"ejabberd.yml":    ejabberdConfig(s.opts, s.ports),
		// ejabberdctl points ERL_INETRC here.
		"inetrc": inetrc,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(s.Dir, name), []byte(content), 0o640); err != nil {
			return fmt.Errorf("ejabberdtest: %w", err)
		}
	}
	if os.Geteuid() != 0 {
		return nil
	}
	if err := makeReachable(s.Dir); err != nil {
		return err
	}
	return filepath.WalkDir(s.Dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, own.uid, own.gid)
	})
}

// makeReachable lets other users search (not list) the ancestors of dir
// that lie in the system temporary directory, such as the 0700 directories
// of t.TempDir(); an unsearchable ancestor elsewhere is an error.
func makeReachable(dir string) error {
	tmp := filepath.Clean(os.TempDir())
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		info, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("ejabberdtest: %w", err)
		}
		if info.Mode().Perm()&0o001 == 0 {
			if !strings.HasPrefix(d, tmp+string(filepath.Separator)) {
				return fmt.Errorf("ejabberdtest: the ejabberd user cannot reach %s: %s is not searchable", dir, d)
			}
			if err := os.Chmod(d, info.Mode().Perm()|0o001); err != nil {
				return fmt.Errorf("ejabberdtest: %w", err)
			}
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

// ctl returns ejabberdctl with the sandbox's directories and args.
func (s *Server) ctl(ctx context.Context, args ...string) *exec.Cmd {
	base := []string{
		"--config-dir", s.Dir,
		"--logs", filepath.Join(s.Dir, "logs"),
		"--spool", filepath.Join(s.Dir, "spool"),
	}
	cmd := serverkind.Command(ctx, s.opts.Root, []string{s.Dir}, "ejabberdctl", append(base, args...)...)
	// Its own process group: a terminal's ^C reaches the test binary only,
	// and Stop can end exactly what Start started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// ctlRun runs one ejabberdctl command against the running node.
func (s *Server) ctlRun(args ...string) error {
	_, err := s.ctlOutput(args...)
	return err
}

// ctlOutput runs one ejabberdctl command against the running node and returns what it printed.
func (s *Server) ctlOutput(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), ctlTimeout)
	defer cancel()
	out, err := s.ctl(ctx, args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("ejabberdtest: ejabberdctl %s: %w: %s", args[0], err, bytes.TrimSpace(out))
	}
	return string(out), nil
}

// start runs the node in the foreground and waits for its listeners.
func (s *Server) start(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, startTimeout)
		defer cancel()
	}
	cmd := s.ctl(context.Background(), "foreground")
	done, err := sandboxproc.Launch(cmd, s.output)
	if err != nil {
		return fmt.Errorf("ejabberdtest: start ejabberdctl: %w", err)
	}
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	if err := sandboxproc.WaitListening(ctx, done, s.C2SAddr, s.ComponentAddr); err != nil {
		_ = s.Stop()
		return fmt.Errorf("ejabberdtest: ejabberd did not come up: %w\n%s", err, s.LogTail(30))
	}
	return nil
}

// Stop stops the node with "ejabberdctl stop" and waits for it to exit;
// after stopTimeout the process group Start created is killed. Stopping a
// stopped server is a no-op.
func (s *Server) Stop() error {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd, s.done = nil, nil
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	stopErr := s.ctl(ctx, "stop").Run()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-done
	return fmt.Errorf("ejabberdtest: ejabberd did not stop in %v (ejabberdctl stop: %v) and was killed", stopTimeout, stopErr)
}

// Restart stops the node and starts it again with the same configuration,
// ports and data (registered users and an installed module stay).
func (s *Server) Restart(ctx context.Context) error {
	if err := s.Stop(); err != nil {
		return err
	}
	return s.start(ctx)
}

// PID returns the process id of the running Erlang node (from its pid
// file), 0 when it is stopped or has not written it yet.
func (s *Server) PID() int {
	s.mu.Lock()
	running := s.cmd != nil
	if running {
		select {
		case <-s.done:
			running = false
		default:
		}
	}
	s.mu.Unlock()
	if !running {
		return 0
	}
	data, err := os.ReadFile(filepath.Join(s.Dir, "ejabberd.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	return pid
}

// Register creates the account user@Host with ejabberdctl; the node must
// be running.
func (s *Server) Register(user, pass string) error {
	return s.ctlRun("register", user, s.Host, pass)
}

// Deregister deletes the account user@Host with ejabberdctl.
func (s *Server) Deregister(user string) error {
	return s.ctlRun("unregister", user, s.Host)
}

// DeleteOfflineMessages empties mod_offline's storage on every host: it
// deletes every message stored before the call. (The Mnesia backend keeps
// a user's messages in one disc_only_copies bag, so storing one costs more
// the more that user already has; a benchmark empties it between runs.)
func (s *Server) DeleteOfflineMessages() error {
	// "delete_old_messages 0" deletes what was stored before the start of
	// the node's current second: wait for the next one, so that it covers
	// everything stored until now.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 10*time.Millisecond)))
	return s.ctlRun("delete_old_messages", "0")
}

// LogTail returns the last n lines of the node's log followed by the last n
// lines of what ejabberdctl printed, for failure messages.
func (s *Server) LogTail(n int) string {
	return "--- " + s.LogPath + "\n" + sandboxproc.Tail(s.LogPath, n) + "--- ejabberdctl output\n" + sandboxproc.Tail(s.output, n)
}
