package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/resolver"
)

// minimal is the smallest valid configuration: the required keys only.
const minimal = `
[component]
address = "127.0.0.1:5347"
domain = "amp.localhost"
secret = "s3cret"

[server]
hosts = ["localhost"]
`

// withRequired returns the defaults plus the required keys of minimal.
func withRequired() *Config {
	want := Default()
	want.Component.Address = "127.0.0.1:5347"
	want.Component.Domain = "amp.localhost"
	want.Component.Secret = "s3cret"
	want.Server.Hosts = []string{"localhost"}
	return want
}

func TestDefaults(t *testing.T) {
	got, err := Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if want := withRequired(); !reflect.DeepEqual(got, want) {
		t.Errorf("Parse(minimal):\n got  %+v\n want %+v", got, want)
	}
	// The documented defaults, spelt out once more so that a changed default is deliberate.
	d := Default()
	checks := []struct {
		key       string
		got, want any
	}{
		{"component.max_stanza_bytes", d.Component.MaxStanzaBytes, 4194304},
		{"component.keepalive", d.Component.Keepalive, 60 * time.Second},
		{"component.dial_timeout", d.Component.DialTimeout, 10 * time.Second},
		{"component.handshake_timeout", d.Component.HandshakeTimeout, 10 * time.Second},
		{"component.reconnect_min", d.Component.ReconnectMin, 500 * time.Millisecond},
		{"component.reconnect_max", d.Component.ReconnectMax, 30 * time.Second},
		{"component.max_queued", d.Component.MaxQueued, 10000},
		{"server.reply_from", d.Server.ReplyFrom, "server"},
		{"amp.actions", d.AMP.Actions, []string{"alert", "drop", "error", "notify"}},
		{"amp.conditions", d.AMP.Conditions, []string{"deliver", "expire-at", "match-resource"}},
		{"amp.deliver_values", d.AMP.DeliverValues, []string{"direct", "stored", "none", "forward", "gateway"}},
		{"amp.match_resource_values", d.AMP.MatchResourceValues, []string{"any", "exact", "other"}},
		{"amp.gateways", d.AMP.Gateways, []string{}},
		{"amp.forwarded", d.AMP.Forwarded, []string{}},
		{"amp.remote_unsupported", d.AMP.RemoteUnsupported, "error"},
		{"amp.remote_cache_ttl", d.AMP.RemoteCacheTTL, 24 * time.Hour},
		{"amp.remote_negative_ttl", d.AMP.RemoteNegativeTTL, 10 * time.Minute},
		{"amp.remote_timeout", d.AMP.RemoteTimeout, 10 * time.Second},
		{"privacy.presence_policy", d.Privacy.PresencePolicy, "roster"},
		{"privacy.roster_cache_ttl", d.Privacy.RosterCacheTTL, 30 * time.Second},
		{"privacy.roster_cache_size", d.Privacy.RosterCacheSize, 10000},
		{"store.path", d.Store.Path, "ampd.db"},
		{"http.listen", d.HTTP.Listen, "127.0.0.1:9479"},
		{"log.level", d.Log.Level, "info"},
		{"log.format", d.Log.Format, "text"},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("default %s = %v, want %v", c.key, c.got, c.want)
		}
	}
}

// TestDefaultsAreFresh guards against decoding into a shared default: toml reuses a slice's
// array when it is large enough, which would change the defaults of later loads.
func TestDefaultsAreFresh(t *testing.T) {
	cfg, err := Parse([]byte(minimal + "\n[amp]\nactions = [\"drop\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"drop"}; !slices.Equal(cfg.AMP.Actions, want) {
		t.Errorf("amp.actions = %q, want %q", cfg.AMP.Actions, want)
	}
	if got := Default().AMP.Actions; !slices.Equal(got, resolver.KnownActions()) {
		t.Errorf("Default().AMP.Actions became %q", got)
	}
}

func TestExampleConfig(t *testing.T) {
	const path = "../config.example.toml"
	got, err := Load(path)
	if err != nil {
		t.Fatalf("the shipped example does not load: %v", err)
	}
	want := withRequired()
	want.Component.Secret = "change-me"
	want.Store.Path = filepath.Join("..", "ampd.db") // relative to the file's directory
	if !reflect.DeepEqual(got, want) {
		t.Errorf("config.example.toml is not the defaults plus the required keys:\n got  %+v\n want %+v", got, want)
	}

	// Every key is shown in the example, set or commented out.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range got.fields() {
		section, key, _ := strings.Cut(f.key, ".")
		shown := regexp.MustCompile(`(?ms)^\[` + section + `\]$.*?^(# )?` + key + ` = `)
		if !shown.Match(data) {
			t.Errorf("config.example.toml does not show %s", f.key)
		}
	}
}

// TestConfigurationDoc keeps docs/CONFIGURATION.md complete: every key has its heading.
func TestConfigurationDoc(t *testing.T) {
	data, err := os.ReadFile("../docs/CONFIGURATION.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range Default().fields() {
		heading := "### `" + f.key + "`"
		if !strings.Contains(string(data), heading) {
			t.Errorf("docs/CONFIGURATION.md has no heading %s", heading)
		}
		reload := "Reloadable: no"
		if IsReloadable(f.key) {
			reload = "Reloadable: yes"
		}
		section := string(data)[strings.Index(string(data), heading):]
		if next := strings.Index(section[len(heading):], "\n### "); next >= 0 {
			section = section[:len(heading)+next]
		}
		if !strings.Contains(section, reload) {
			t.Errorf("docs/CONFIGURATION.md, %s: does not say %q", f.key, reload)
		}
	}
}

func TestSecretFile(t *testing.T) {
	cfg, err := Load("testdata/secret-file.toml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Component.Secret != "s3cret-from-file" {
		t.Errorf("secret = %q, want the file's content without surrounding space", cfg.Component.Secret)
	}
	if want := filepath.Join("testdata", "ampd.secret"); cfg.Component.SecretFile != want {
		t.Errorf("secret_file = %q, want %q (relative to the configuration file)", cfg.Component.SecretFile, want)
	}
}

func TestRelativePaths(t *testing.T) {
	dir := t.TempDir()
	abs := filepath.Join(dir, "elsewhere", "held.db")
	cases := []struct {
		name, store, want string
	}{
		{"relative", `path = "state/held.db"`, filepath.Join(dir, "state", "held.db")},
		{"absolute", `path = "` + filepath.ToSlash(abs) + `"`, abs},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(dir, "ampd.toml")
			if err := os.WriteFile(file, []byte(minimal+"\n[store]\n"+c.store+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := Load(file)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Store.Path != c.want {
				t.Errorf("store.path = %q, want %q", cfg.Store.Path, c.want)
			}
		})
	}
	// Parse has no file, so relative paths stay relative to the working directory.
	cfg, err := Parse([]byte(minimal + "\n[store]\npath = \"state/held.db\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Store.Path != "state/held.db" {
		t.Errorf("Parse: store.path = %q, want it unchanged", cfg.Store.Path)
	}
}

func TestNormalisesJIDs(t *testing.T) {
	cfg, err := Parse([]byte(`
[component]
address = "127.0.0.1:5347"
domain = "AMP.Localhost"
secret = "s3cret"
[server]
hosts = ["LocalHost", "example.ORG"]
[amp]
gateways = ["ICQ.example.org"]
forwarded = ["Alice@Example.org"]
`))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		key       string
		got, want any
	}{
		{"component.domain", cfg.Component.Domain, "amp.localhost"},
		{"server.hosts", cfg.Server.Hosts, []string{"localhost", "example.org"}},
		{"amp.gateways", cfg.AMP.Gateways, []string{"icq.example.org"}},
		{"amp.forwarded", cfg.AMP.Forwarded, []string{"alice@example.org"}},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %q, want %q", c.key, c.got, c.want)
		}
	}
}

func TestAllErrorsAtOnce(t *testing.T) {
	_, err := Parse([]byte(minimal + `
[log]
level = "loud"
format = "yaml"
`))
	want := `config: log.level: "loud" is not valid; use one of "debug", "info", "warn", "error"
config: log.format: "yaml" is not valid; use one of "text", "json"`
	if err == nil || err.Error() != want {
		t.Errorf("error:\n got  %v\n want %s", err, want)
	}
}

func TestUnknownKeysAllReported(t *testing.T) {
	_, err := Parse([]byte(minimal + `
[privacy]
policy = "off"
[http]
listen = ""
port = 9479
`))
	want := `config: unknown key "privacy.policy" (line 11); remove it or correct its spelling
config: unknown key "http.port" (line 14); remove it or correct its spelling`
	if err == nil || err.Error() != want {
		t.Errorf("error:\n got  %v\n want %s", err, want)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "absent.toml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %v does not wrap os.ErrNotExist", err)
	}
}

func TestHTTPListenMayBeEmpty(t *testing.T) {
	cfg, err := Parse([]byte(minimal + "\n[http]\nlisten = \"\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.Listen != "" {
		t.Errorf("http.listen = %q, want it disabled", cfg.HTTP.Listen)
	}
}

// Every condition whose values are configurable has its [amp] key, and the defaults enable
// exactly what the registry knows.
func TestEveryValuesKeyHasAField(t *testing.T) {
	a := Default().AMP
	lists := a.valueLists()
	for _, c := range resolver.Conditions() {
		if c.ValuesKey == "" {
			continue
		}
		found := false
		for _, l := range lists {
			if l.condition.Name == c.Name {
				found = true
				if !slices.Equal(*l.list, c.Values) {
					t.Errorf("amp.%s defaults to %q, want %q", c.ValuesKey, *l.list, c.Values)
				}
			}
		}
		if !found {
			t.Errorf("condition %s: config.AMP has no field with toml tag %q", c.Name, c.ValuesKey)
		}
	}
	if !slices.Equal(a.Conditions, resolver.KnownConditions()) {
		t.Errorf("amp.conditions defaults to %q, want %q", a.Conditions, resolver.KnownConditions())
	}
}
