package testserver

import (
	"bytes"
	"os"
	"path/filepath"

	"github.com/ampd-xmpp/ampd/config"
)

// WriteAmpdConfig writes cfg as dir/ampd.toml (config.Encode: every key, loadable by ampd
// run --config) under a header comment, and returns the file's path.
func WriteAmpdConfig(dir, header string, cfg *config.Config) (string, error) {
	var buf bytes.Buffer
	for _, line := range bytes.Split([]byte(header), []byte("\n")) {
		if len(line) > 0 {
			buf.WriteString("# ")
			buf.Write(line)
			buf.WriteByte('\n')
		}
	}
	if err := cfg.Encode(&buf); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "ampd.toml")
	return path, os.WriteFile(path, buf.Bytes(), 0o600)
}
