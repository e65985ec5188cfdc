package ejabberdtest

import (
	"strings"
	"testing"
	"time"
)

// Extra emulator flags reach ERL_OPTIONS next to the module path; anything the shell that
// sources ejabberdctl.cfg would interpret is refused.
func TestErlOptions(t *testing.T) {
	cfg := ejabberdctlConfig("/sandbox", ports{dist: 4370}, nodeName("", 4370), "127.0.0.1", "+sbwt none +sbwtdcpu none", "c00k1e")
	if !strings.Contains(cfg, `ERL_OPTIONS="-pa /sandbox/ebin -setcookie c00k1e +sbwt none +sbwtdcpu none"`) {
		t.Errorf("ejabberdctl.cfg lacks the emulator flags:\n%s", cfg)
	}
	for _, opts := range []string{"+sbwt none", ""} {
		if _, err := (Options{Dir: t.TempDir(), ModuleDir: t.TempDir(), ErlOptions: opts}).withDefaults(); err != nil {
			t.Errorf("ErlOptions %q refused: %v", opts, err)
		}
	}
	for _, opts := range []string{`+sbwt "none"`, "+sbwt none'", "$(id)", "`id`", `\`, "+A 4\nrm"} {
		if _, err := (Options{Dir: t.TempDir(), ModuleDir: t.TempDir(), ErlOptions: opts}).withDefaults(); err == nil {
			t.Errorf("ErlOptions %q accepted", opts)
		}
	}
}

// mod_ampd's entry carries every bound, with the module's defaults when the
// options leave them zero.
func TestAmpdModuleConfig(t *testing.T) {
	cases := []struct {
		o    Options
		want []string
	}{
		0: {Options{}, []string{"max_pending: 10000\n", "pending_timeout: 60\n",
			"reinjected_max: 10000\n", "reinjected_max_age: 86400\n"}},
		1: {Options{MaxPending: 1, PendingTimeout: time.Second, ReinjectedMax: 3, ReinjectedMaxAge: 2 * time.Second},
			[]string{"max_pending: 1\n", "pending_timeout: 1\n", "reinjected_max: 3\n", "reinjected_max_age: 2\n"}},
		2: {Options{ReinjectedMaxAge: time.Millisecond}, []string{"reinjected_max_age: 1\n"}},
	}
	for i, c := range cases {
		c.o.Dir, c.o.ModuleDir = t.TempDir(), t.TempDir()
		o, err := c.o.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		cfg := ampdModuleConfig(o)
		for _, want := range c.want {
			if !strings.Contains(cfg, "    "+want) {
				t.Errorf("%d: mod_ampd config lacks %q:\n%s", i, want, cfg)
			}
		}
	}
}
