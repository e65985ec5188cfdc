package prosodytest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLuaString(t *testing.T) {
	cases := map[string]string{
		"":               `""`,
		"localhost":      `"localhost"`,
		`a"b`:            `"a\"b"`,
		`C:\dir`:         `"C:\\dir"`,
		"two\nlines\r":   `"two\nlines\r"`,
		"nul\x00":        `"nul\0"`,
		"ünïcode/路径":     `"ünïcode/路径"`,
		`]] -- ]==] end`: `"]] -- ]==] end"`,
	}
	for in, want := range cases {
		if got := luaString(in); got != want {
			t.Errorf("luaString(%q) = %s; want %s", in, got, want)
		}
	}
}

// The generated configuration is valid Lua and carries the options the
// sandbox relies on; luac checks the syntax with hostile strings in it.
func TestConfigFile(t *testing.T) {
	o, err := Options{
		Dir:              t.TempDir(),
		ComponentSecret:  `se"cr\et` + "\n",
		WhenDown:         "pass",
		MaxPending:       5,
		PendingTimeout:   2500e6,
		ReinjectedMax:    3,
		ReinjectedMaxAge: 4 * time.Second,
		WithoutOffline:   true,
		ExtraHostConfig:  "\t-- extra host",
		ExtraPluginPaths: []string{"testdata"},
	}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	cfg := configFile(o, 1001, 1002, 1003, pathsIn(o.Dir))
	for _, want := range []string{
		`c2s_ports = { 1001 }`, `component_ports = { 1002 }`, `s2s_ports = { 1003 }`,
		`interfaces = { "127.0.0.1" }`, `component_interfaces = { "127.0.0.1" }`,
		`c2s_require_encryption = false`, `allow_unencrypted_plain_auth = true`,
		`VirtualHost "localhost"`, `ampd_component = "amp.localhost"`, `ampd_when_down = "pass"`,
		`ampd_max_pending = 5`, `ampd_pending_timeout = 2`, `modules_disabled = { "offline" }`,
		`ampd_reinjected_max = 3`, `ampd_reinjected_max_age = 4`,
		`privileged_entities = { ["amp.localhost"] = { presence = "managed_entity", roster = "get" } }`,
		`Component "amp.localhost"`, `component_secret = "se\"cr\\et\n"`, "\t-- extra host",
		filepath.Join(o.Dir, "prosody.log"),
	} {
		if !strings.Contains(cfg, want) {
			t.Errorf("config lacks %s:\n%s", want, cfg)
		}
	}
	if strings.Index(cfg, "-- extra host") > strings.Index(cfg, "Component ") {
		t.Errorf("ExtraHostConfig is not in the VirtualHost section:\n%s", cfg)
	}
	luac, err := exec.LookPath("luac5.4")
	if err != nil {
		t.Skip("luac5.4 not installed: syntax not checked")
	}
	path := filepath.Join(o.Dir, "check.cfg.lua")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(luac, "-p", path).CombinedOutput(); err != nil {
		t.Errorf("luac: %v: %s\n%s", err, out, cfg)
	}
}

func TestOptionsValidation(t *testing.T) {
	if _, err := (Options{}).withDefaults(); err == nil {
		t.Error("no error without Dir")
	}
	if _, err := (Options{Dir: t.TempDir(), WhenDown: "drop"}).withDefaults(); err == nil {
		t.Error("no error for WhenDown drop")
	}
}
