package ejabberdtest

import (
	"strings"
	"testing"
)

// Extra emulator flags reach ERL_OPTIONS next to the module path; anything the shell that
// sources ejabberdctl.cfg would interpret is refused.
func TestErlOptions(t *testing.T) {
	cfg := ejabberdctlConfig("/sandbox", ports{dist: 4370}, "+sbwt none +sbwtdcpu none")
	if !strings.Contains(cfg, `ERL_OPTIONS="-pa /sandbox/ebin +sbwt none +sbwtdcpu none"`) {
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
