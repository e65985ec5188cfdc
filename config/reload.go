package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// reloadable lists the keys a running ampd takes on SIGHUP: what decides AMP requests and how
// much is logged. Everything else shapes connections, files or listeners made at start-up.
var reloadable = map[string]bool{
	"amp.actions":               true,
	"amp.conditions":            true,
	"amp.deliver_values":        true,
	"amp.match_resource_values": true,
	"amp.gateways":              true,
	"amp.forwarded":             true,
	"amp.remote_unsupported":    true,
	"amp.remote_cache_ttl":      true,
	"amp.remote_negative_ttl":   true,
	"amp.remote_timeout":        true,
	"privacy.presence_policy":   true,
	"privacy.roster_cache_ttl":  true,
	"privacy.roster_cache_size": true,
	"log.level":                 true,
}

// IsReloadable reports whether the key ("section.key") can change on SIGHUP.
func IsReloadable(key string) bool { return reloadable[key] }

// Changed lists the keys whose values differ between c and next, in file order.
// An absent list and an empty one are equal.
func (c *Config) Changed(next *Config) []string {
	var keys []string
	nf := next.fields()
	for i, f := range c.fields() {
		if !sameValue(f.value, nf[i].value) {
			keys = append(keys, f.key)
		}
	}
	return keys
}

func sameValue(a, b reflect.Value) bool {
	if a.Kind() == reflect.Slice && a.Len() == 0 && b.Len() == 0 {
		return true
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}

// NotReloadableError names the changed keys that need a restart.
type NotReloadableError struct {
	Keys []string
}

func (e *NotReloadableError) Error() string {
	return fmt.Sprintf("config: %s changed but cannot be reloaded; restart ampd to apply", strings.Join(e.Keys, ", "))
}

// Reloadable returns a *NotReloadableError when next changes keys that a running ampd cannot
// take, and nil when every change can be applied. The daemon may then refuse the reload, or
// log the error and apply only what it can with ApplyReloadable.
func (c *Config) Reloadable(next *Config) error {
	var fixed []string
	for _, k := range c.Changed(next) {
		if !IsReloadable(k) {
			fixed = append(fixed, k)
		}
	}
	if len(fixed) == 0 {
		return nil
	}
	return &NotReloadableError{Keys: fixed}
}

// ApplyReloadable returns a new Config equal to c except for the reloadable keys, which come
// from next. Neither c nor next is changed, and the result shares no slices with them, so it
// can be swapped in atomically while c is still being read.
func (c *Config) ApplyReloadable(next *Config) *Config {
	out := c.clone()
	src := next.clone()
	of, sf := out.fields(), src.fields()
	for i, f := range of {
		if IsReloadable(f.key) {
			f.value.Set(sf[i].value)
		}
	}
	return out
}

// clone returns a deep copy of c.
func (c *Config) clone() *Config {
	out := *c
	for _, f := range out.fields() {
		if f.value.Kind() == reflect.Slice && !f.value.IsNil() {
			f.value.Set(reflect.ValueOf(slices.Clone(f.value.Interface().([]string))))
		}
	}
	return &out
}
