package ejabberdtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/ampd-xmpp/ampd/internal/sandboxproc"
)

// Loopback addresses of the two nodes' Erlang distribution: ERL_DIST_PORT makes a node look
// for every peer at its own port, so the nodes share one port on two addresses.
const (
	clusterAddrA = "127.0.0.1"
	clusterAddrB = "127.0.0.2"
)

// Cluster is a two-node ejabberd cluster on loopback: one host, shared Mnesia (accounts,
// rosters, routes), each node with its own c2s, component and s2s listeners.
type Cluster struct {
	A, B *Server
}

// StartCluster starts node A with o, then node B with the same options in dirB (its own
// ports), and joins B to A with "ejabberdctl join_cluster". o.Users are registered once the
// cluster is formed (the nodes share them). ModuleInstall is refused: each node compiles the
// module.
func StartCluster(ctx context.Context, o Options, dirB string) (*Cluster, error) {
	if o.ModuleInstall {
		return nil, errors.New("ejabberdtest: StartCluster: ModuleInstall is not supported")
	}
	if o.C2SPort != 0 || o.ComponentPort != 0 || o.S2SPort != 0 || o.DistPort != 0 {
		return nil, errors.New("ejabberdtest: StartCluster picks every port; leave them 0")
	}
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if o.DistPort, err = sharedDistPort(); err != nil {
		return nil, err
	}
	users := o.Users
	o.Users = nil
	oa, ob := o, o
	oa.DistAddr = clusterAddrA
	ob.DistAddr, ob.Dir = clusterAddrB, dirB
	a, err := Start(ctx, oa)
	if err != nil {
		return nil, fmt.Errorf("node A: %w", err)
	}
	b, err := Start(ctx, ob)
	if err != nil {
		_ = a.Stop()
		return nil, fmt.Errorf("node B: %w", err)
	}
	c := &Cluster{A: a, B: b}
	if err := c.join(ctx); err != nil {
		c.Stop()
		return nil, err
	}
	for name, pass := range users {
		if err := a.Register(name, pass); err != nil {
			c.Stop()
			return nil, err
		}
	}
	return c, nil
}

// join makes B a member of A's cluster. join_cluster stops ejabberd on B, copies A's
// database and starts ejabberd again: before it returns on 23.01, a second after it
// returned on 24.12 (ejabberd_admin runs it with timer:apply_after). B is ready once A lists
// it among the running nodes and B's listeners accept again (ejabberd starts them last).
func (c *Cluster) join(ctx context.Context) error {
	if err := c.B.ctlRun("join_cluster", c.A.Node); err != nil {
		return fmt.Errorf("%w\n%s", err, c.B.LogTail(30))
	}
	for {
		out, err := c.A.ctlOutput("list_cluster")
		if err != nil {
			return err
		}
		if strings.Contains(out, c.B.Node) {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("ejabberdtest: node A still lists only %q after join_cluster on %s: %w\n%s",
				strings.TrimSpace(out), c.B.Node, ctx.Err(), c.B.LogTail(30))
		case <-time.After(200 * time.Millisecond):
		}
	}
	c.B.mu.Lock()
	done := c.B.done
	c.B.mu.Unlock()
	if err := sandboxproc.WaitListening(ctx, done, c.B.C2SAddr, c.B.ComponentAddr); err != nil {
		return fmt.Errorf("ejabberdtest: node B after join_cluster: %w\n%s", err, c.B.LogTail(30))
	}
	return nil
}

// Stop stops both nodes (B first, so that A does not wait for it).
func (c *Cluster) Stop() error {
	return errors.Join(c.B.Stop(), c.A.Stop())
}

// LogTail is the log tails of both nodes.
func (c *Cluster) LogTail(n int) string {
	return "=== node A " + c.A.Node + "\n" + c.A.LogTail(n) + "=== node B " + c.B.Node + "\n" + c.B.LogTail(n)
}

// sharedDistPort is a port free on both nodes' addresses.
func sharedDistPort() (int, error) {
	for range 20 {
		port, err := sandboxproc.FreePort()
		if err != nil {
			return 0, err
		}
		l, err := net.Listen("tcp", net.JoinHostPort(clusterAddrB, strconv.Itoa(port)))
		if err == nil {
			l.Close()
			return port, nil
		}
	}
	return 0, fmt.Errorf("ejabberdtest: no port free on both %s and %s", clusterAddrA, clusterAddrB)
}

// nodeName is the Erlang node of a sandbox: long names on an explicit distribution address
// (a cluster's nodes differ by address), else a short name on localhost.
func nodeName(distAddr string, distPort int) string {
	if distAddr == "" {
		return fmt.Sprintf("ampd%d@localhost", distPort)
	}
	return fmt.Sprintf("ampd%d@%s", distPort, distAddr)
}
