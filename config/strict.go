package config

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/BurntSushi/toml"
)

// unknownKeys reports every key of the file that Config has no field for: a misspelt key
// silently keeping its default is the kind of mistake strict decoding exists to catch.
// Under an unknown table only the table itself is reported.
func unknownKeys(md toml.MetaData, data []byte) error {
	var errs []error
	var reported []string
	for _, k := range md.Undecoded() {
		name := k.String()
		if coveredBy(name, reported) {
			continue
		}
		reported = append(reported, name)
		errs = append(errs, fmt.Errorf("config: unknown key %q%s; remove it or correct its spelling", name, onLine(data, k)))
	}
	return errors.Join(errs...)
}

// coveredBy reports whether name lies inside one of the tables already reported.
func coveredBy(name string, reported []string) bool {
	for _, r := range reported {
		if strings.HasPrefix(name, r+".") {
			return true
		}
	}
	return false
}

// durationsAreStrings rejects a duration written as a bare integer: the TOML library would
// take it as nanoseconds, so "keepalive = 60" would mean 60ns.
func durationsAreStrings(md toml.MetaData, data []byte) error {
	var errs []error
	for _, f := range Default().fields() {
		if !f.isDuration() {
			continue
		}
		section, key, _ := strings.Cut(f.key, ".")
		if t := md.Type(section, key); t != "" && t != "String" {
			errs = append(errs, fmt.Errorf("config: %s%s: a duration must be a string with a unit, such as \"30s\" or \"500ms\"", f.key, onLine(data, toml.Key{section, key})))
		}
	}
	return errors.Join(errs...)
}

// onLine returns " (line N)" for the line where key is defined, or "" if lineOf cannot tell.
func onLine(data []byte, key toml.Key) string {
	if line := lineOf(data, key); line > 0 {
		return fmt.Sprintf(" (line %d)", line)
	}
	return ""
}

// lineOf finds, best effort, the line where key is defined: a line "name =" inside the
// table header that holds it, or the whole dotted key at the top level. It returns 0 when
// it cannot tell (quoted keys, inline tables), and the error then goes without a line.
func lineOf(data []byte, key toml.Key) int {
	table := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(text, "[") {
			header := strings.Trim(text, "[] \t")
			if i := strings.Index(header, "]"); i >= 0 {
				header = strings.TrimSpace(header[:i])
			}
			table = header
			if table == key.String() {
				return line
			}
			continue
		}
		name, _, ok := strings.Cut(text, "=")
		if !ok {
			continue
		}
		full := strings.TrimSpace(name)
		if table != "" {
			full = table + "." + full
		}
		if full == key.String() {
			return line
		}
	}
	return 0
}
