package config

import (
	"io"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Encode writes c as a configuration file that Load reads back to the same Config: every key,
// durations as strings with a unit (Load refuses bare integers, see durationsAreStrings), the
// secret inline or as secret_file, whichever c holds. The test harnesses write ampd's
// configuration with it rather than formatting TOML by hand.
func (c *Config) Encode(w io.Writer) error {
	sections := map[string]map[string]any{}
	for _, f := range c.fields() {
		section, key, _ := strings.Cut(f.key, ".")
		if sections[section] == nil {
			sections[section] = map[string]any{}
		}
		v := f.value.Interface()
		if f.isDuration() {
			v = v.(time.Duration).String()
		}
		sections[section][key] = v
	}
	// A secret read from secret_file is not written out: the file stays the only copy.
	if c.Component.SecretFile != "" {
		delete(sections["component"], "secret")
	} else {
		delete(sections["component"], "secret_file")
	}
	return toml.NewEncoder(w).Encode(sections)
}
