package config

import (
	"reflect"
	"time"
)

// field is one key of the configuration with its value in a given Config.
type field struct {
	key   string // "section.key", as written in the file
	value reflect.Value
}

// fields lists every key of c in declaration order, named by the toml tags, so that code
// which must cover every key (the duration check, the reload diff) cannot forget a new one.
func (c *Config) fields() []field {
	var out []field
	root := reflect.ValueOf(c).Elem()
	for i := range root.NumField() {
		section := root.Type().Field(i).Tag.Get("toml")
		sv := root.Field(i)
		for j := range sv.NumField() {
			key := sv.Type().Field(j).Tag.Get("toml")
			out = append(out, field{key: section + "." + key, value: sv.Field(j)})
		}
	}
	return out
}

var durationType = reflect.TypeFor[time.Duration]()

// isDuration reports whether the key holds a time.Duration.
func (f field) isDuration() bool { return f.value.Type() == durationType }
