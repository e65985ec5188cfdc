package integration

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/internal/prosodytest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// ampdBinary builds cmd/ampd once per test run: crash tests need a process they can kill -9.
func ampdBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		root, err := prosodytest.RepoRoot()
		if err != nil {
			buildErr = err
			return
		}
		dir, err := os.MkdirTemp("", "ampd-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "ampd")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/ampd")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// process is an ampd started from the binary with a configuration file.
type process struct {
	t       *testing.T
	cmd     *exec.Cmd
	http    string
	cfgPath string
	logPath string
}

// writeConfig writes e's ampd configuration as TOML and returns its path and HTTP address.
func (e *env) writeConfig(dir string) (path, httpAddr string) {
	e.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	httpAddr = ln.Addr().String()
	ln.Close()
	c := e.cfg
	toml := fmt.Sprintf(`[component]
address = %q
domain = %q
secret = %q
reconnect_min = "100ms"
reconnect_max = "1s"

[server]
hosts = [%q]

[store]
path = %q

[http]
listen = %q

[log]
level = "debug"
`, c.Component.Address, c.Component.Domain, c.Component.Secret, c.Server.Hosts[0], c.Store.Path, httpAddr)
	path = filepath.Join(dir, "ampd.toml")
	must(e.t, os.WriteFile(path, []byte(toml), 0o600))
	return path, httpAddr
}

func (e *env) startBinary(cfgPath, httpAddr, logPath string) *process {
	e.t.Helper()
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	must(e.t, err)
	defer logf.Close()
	p := &process{t: e.t, http: httpAddr, cfgPath: cfgPath, logPath: logPath}
	p.cmd = exec.Command(ampdBinary(e.t), "run", "--config", cfgPath)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	must(e.t, p.cmd.Start())
	e.t.Cleanup(p.stop)
	e.eventually("ampd binary ready", func() error {
		resp, err := http.Get("http://" + httpAddr + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("readyz: %s", resp.Status)
		}
		return nil
	})
	return p
}

// kill9 ends the process at once, as a crash would.
func (p *process) kill9() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()
	p.cmd = nil
}

func (p *process) stop() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
	p.cmd = nil
	if p.t.Failed() {
		if b, err := os.ReadFile(p.logPath); err == nil {
			lines := strings.Split(string(b), "\n")
			p.t.Logf("ampd log tail:\n%s", strings.Join(lines[max(0, len(lines)-40):], "\n"))
		}
	}
}

// metric reads one unlabelled sample from /metrics.
func (p *process) metric(name string) (float64, error) {
	resp, err := http.Get("http://" + p.http + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == name {
			return strconv.ParseFloat(f[1], 64)
		}
	}
	return 0, fmt.Errorf("no metric %s", name)
}
