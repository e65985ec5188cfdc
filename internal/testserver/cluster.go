package testserver

import (
	"context"
	"errors"
	"fmt"

	"github.com/ampd-xmpp/ampd/internal/ejabberdtest"
	"github.com/ampd-xmpp/ampd/internal/serverkind"
)

// StartCluster starts a two-node cluster of k, an ejabberd kind (ejabberdtest.StartCluster):
// o.Dir holds node A, dirB node B. Each Server is one node: Stop stops that node only.
// Prosody has no cluster: StartCluster refuses it.
func StartCluster(ctx context.Context, k serverkind.Kind, o Options, dirB string) (a, b *Server, err error) {
	if k.Family != serverkind.Ejabberd {
		return nil, nil, errors.New("testserver: " + k.Title + " has no cluster; only ejabberd clusters")
	}
	if len(o.ProsodyPluginPaths) > 0 || o.ProsodyGlobalConfig != "" || o.ProsodyHostConfig != "" {
		return nil, nil, errors.New("testserver: Prosody plugin paths and Lua configuration given for " + k.Title)
	}
	c, err := ejabberdtest.StartCluster(ctx, ejabberdOptions(k, o), dirB)
	if err != nil {
		return nil, nil, fmt.Errorf("starting a %s cluster: %w", k.Title, err)
	}
	return ejabberdServer(k, c.A), ejabberdServer(k, c.B), nil
}
