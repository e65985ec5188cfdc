package config_test

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/ampd-xmpp/ampd/config"
)

// The reload story: decode a fresh value, keep the running one if that fails, otherwise take
// what can be taken and swap it in atomically.
func ExampleConfig_ApplyReloadable() {
	running, err := config.Parse([]byte(`
[component]
address = "127.0.0.1:5347"
domain = "amp.localhost"
secret = "s3cret"
[server]
hosts = ["localhost"]
`))
	if err != nil {
		panic(err)
	}
	var current atomic.Pointer[config.Config]
	current.Store(running)

	// SIGHUP: the file now disables alert and moves the component.
	next, err := config.Parse([]byte(`
[component]
address = "127.0.0.1:5348"
domain = "amp.localhost"
secret = "s3cret"
[server]
hosts = ["localhost"]
[amp]
actions = ["drop", "error", "notify"]
`))
	if err != nil {
		fmt.Println("reload failed, keeping the running configuration:", err)
		return
	}
	old := current.Load()
	var nre *config.NotReloadableError
	if err := old.Reloadable(next); errors.As(err, &nre) {
		fmt.Println("needs a restart:", nre.Keys)
	}
	current.Store(old.ApplyReloadable(next))

	fmt.Println("actions:", current.Load().AMP.Actions)
	fmt.Println("address:", current.Load().Component.Address)
	// Output:
	// needs a restart: [component.address]
	// actions: [drop error notify]
	// address: 127.0.0.1:5347
}
