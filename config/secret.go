package config

import (
	"fmt"
	"os"
	"strings"
)

// readSecretFile loads component.secret_file into Secret. Keeping the secret out of the main
// file lets the configuration be world-readable and the secret not.
func (c *Config) readSecretFile() error {
	if c.Component.SecretFile == "" {
		return nil
	}
	data, err := os.ReadFile(c.Component.SecretFile)
	if err != nil {
		return fmt.Errorf("config: component.secret_file: %w; point it at a readable file holding the shared secret", err)
	}
	secret := strings.TrimSpace(string(data))
	if secret == "" {
		return fmt.Errorf("config: component.secret_file: %q is empty; write the shared secret into it", c.Component.SecretFile)
	}
	c.Component.Secret = secret
	return nil
}
