package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary files to Parse: it must return a Config or an error starting with
// "config: ", never panic (lineOf and the error rewriting handle text the decoder rejected).
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.toml")
	files = append(files, "../config.example.toml")
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(minimal))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data)
		if err != nil {
			if len(err.Error()) < 8 || err.Error()[:8] != "config: " {
				t.Fatalf("error without the package name: %v", err)
			}
			return
		}
		if cfg.Component.Secret == "" || len(cfg.Server.Hosts) == 0 {
			t.Fatalf("Parse accepted a config without its required keys: %+v", cfg)
		}
	})
}
