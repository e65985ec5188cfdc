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
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/internal/prosodytest"
	"github.com/ampd-xmpp/ampd/internal/testserver"
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
	amp     *testserver.Ampd
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
	c := *e.cfg
	c.Component.ReconnectMin = 100 * time.Millisecond
	c.Component.ReconnectMax = time.Second
	c.HTTP.Listen = httpAddr
	c.Log.Level = "debug"
	path, err = testserver.WriteAmpdConfig(dir, "Written by the integration suite (binary_test.go).", &c)
	must(e.t, err)
	return path, httpAddr
}

func (e *env) startBinary(cfgPath, httpAddr, logPath string) *process {
	e.t.Helper()
	p := &process{t: e.t, http: httpAddr, cfgPath: cfgPath, logPath: logPath}
	amp, err := testserver.StartAmpd(ampdBinary(e.t), cfgPath, logPath, nil, "")
	must(e.t, err)
	p.amp = amp
	e.t.Cleanup(p.stop)
	ctx, cancel := ctxWait()
	defer cancel()
	must(e.t, amp.WaitReady(ctx, httpAddr))
	return p
}

// kill9 ends the process at once, as a crash would.
func (p *process) kill9() {
	if p.amp == nil {
		return
	}
	p.amp.Kill9()
	p.amp = nil
}

func (p *process) stop() {
	if p.amp == nil {
		return
	}
	if err := p.amp.Stop(); err != nil {
		p.t.Error(err)
	}
	p.amp = nil
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
