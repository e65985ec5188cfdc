package config

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// Encode's output loads back to the Config it was made from, for the defaults and for a
// configuration with every kind of value changed.
func TestEncodeRoundTrip(t *testing.T) {
	edited := Default()
	edited.Component.Address = "127.0.0.1:5347"
	edited.Component.Domain = "amp.example.org"
	edited.Component.Secret = `s"e\cret`
	edited.Component.ReconnectMin = 150 * time.Millisecond
	edited.Component.MaxQueued = 7
	edited.Server.Hosts = []string{"example.org", "example.net"}
	edited.Privacy.PresencePolicy = PolicyOff
	edited.HTTP.Listen = ""
	edited.Store.Path = filepath.Join(t.TempDir(), "ampd.db")
	withFile := Default()
	withFile.Component.Address, withFile.Component.Domain = edited.Component.Address, edited.Component.Domain
	withFile.Server.Hosts = []string{"example.org"}
	withFile.Component.SecretFile = filepath.Join(t.TempDir(), "secret")
	withFile.Component.Secret = "from-the-file"
	if err := os.WriteFile(withFile.Component.SecretFile, []byte("from-the-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*Config{"edited": edited, "secret_file": withFile} {
		var buf bytes.Buffer
		if err := c.Encode(&buf); err != nil {
			t.Fatal(err)
		}
		back, err := Parse(buf.Bytes())
		if err != nil {
			t.Fatalf("%s: Parse(Encode(c)): %v\n%s", name, err, buf.String())
		}
		if !reflect.DeepEqual(back, c) {
			t.Errorf("%s: round trip changed the config:\n got %+v\nwant %+v\n%s", name, back, c, buf.String())
		}
		if name == "secret_file" && bytes.Contains(buf.Bytes(), []byte("from-the-file")) {
			t.Errorf("the secret read from secret_file was written out:\n%s", buf.String())
		}
	}
}
