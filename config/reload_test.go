package config

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"
)

func TestReloadable(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Config)
		fixed  []string // the non-reloadable keys reported, nil when the reload is allowed
	}{
		{"nothing", func(*Config) {}, nil},
		{"amp and privacy", func(c *Config) {
			c.AMP.Actions = []string{"drop"}
			c.AMP.Gateways = []string{"icq.example.org"}
			c.Privacy.PresencePolicy = PolicyOff
			c.Log.Level = "debug"
		}, nil},
		{"component", func(c *Config) {
			c.Component.Address = "127.0.0.1:5348"
			c.Component.Secret = "other"
		}, []string{"component.address", "component.secret"}},
		{"mixed", func(c *Config) {
			c.AMP.Conditions = []string{"deliver"}
			c.Store.Path = "other.db"
			c.Log.Format = "json"
		}, []string{"store.path", "log.format"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			old := withRequired()
			next := withRequired()
			c.change(next)
			err := old.Reloadable(next)
			if c.fixed == nil {
				if err != nil {
					t.Fatalf("Reloadable: %v, want nil", err)
				}
				return
			}
			var nre *NotReloadableError
			if !errors.As(err, &nre) {
				t.Fatalf("Reloadable: %v, want a *NotReloadableError", err)
			}
			if !slices.Equal(nre.Keys, c.fixed) {
				t.Errorf("keys = %q, want %q", nre.Keys, c.fixed)
			}
		})
	}
}

func TestNotReloadableErrorMessage(t *testing.T) {
	err := &NotReloadableError{Keys: []string{"component.address", "store.path"}}
	want := "config: component.address, store.path changed but cannot be reloaded; restart ampd to apply"
	if err.Error() != want {
		t.Errorf("got %q, want %q", err.Error(), want)
	}
}

func TestEmptyAndAbsentListsAreEqual(t *testing.T) {
	a, b := withRequired(), withRequired()
	a.AMP.Gateways = nil
	if keys := a.Changed(b); keys != nil {
		t.Errorf("Changed = %q, want none", keys)
	}
}

// randomConfig draws a configuration that differs from withRequired in a random subset of
// keys. It need not validate: reload logic works on any pair of decoded values.
func randomConfig(t *rapid.T, label string) *Config {
	c := withRequired()
	for _, f := range c.fields() {
		if !rapid.Bool().Draw(t, label+" changes "+f.key) {
			continue
		}
		switch f.value.Kind() {
		case reflect.String:
			f.value.SetString(rapid.StringMatching(`[a-z]{1,5}`).Draw(t, f.key))
		case reflect.Int, reflect.Int64:
			if f.isDuration() {
				f.value.Set(reflect.ValueOf(time.Duration(rapid.Int64Range(1, 1e12).Draw(t, f.key))))
			} else {
				f.value.SetInt(int64(rapid.IntRange(1, 1<<20).Draw(t, f.key)))
			}
		case reflect.Slice:
			f.value.Set(reflect.ValueOf(rapid.SliceOfN(rapid.StringMatching(`[a-z]{1,5}`), 1, 3).Draw(t, f.key)))
		default:
			t.Fatalf("randomConfig does not know how to change %s (%s)", f.key, f.value.Kind())
		}
	}
	return c
}

// ApplyReloadable takes exactly the reloadable keys from next and keeps every other key, and
// its result agrees with Reloadable.
func TestApplyReloadableProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		old := randomConfig(t, "old")
		next := randomConfig(t, "next")
		oldCopy, nextCopy := old.clone(), next.clone()

		merged := old.ApplyReloadable(next)
		for _, k := range old.Changed(merged) {
			if !IsReloadable(k) {
				t.Fatalf("ApplyReloadable changed %s, which is not reloadable", k)
			}
		}
		for _, k := range merged.Changed(next) {
			if IsReloadable(k) {
				t.Fatalf("ApplyReloadable did not take %s from next", k)
			}
		}
		if err := merged.Reloadable(next); (err == nil) != (old.Reloadable(next) == nil) {
			t.Fatalf("Reloadable disagrees: merged→next %v, old→next %v", err, old.Reloadable(next))
		}
		if !reflect.DeepEqual(old, oldCopy) || !reflect.DeepEqual(next, nextCopy) {
			t.Fatal("ApplyReloadable changed its inputs")
		}
		// The result shares no array with next: changing it leaves next alone.
		if len(merged.AMP.Actions) > 0 {
			merged.AMP.Actions[0] = "changed"
			if !reflect.DeepEqual(next, nextCopy) {
				t.Fatal("ApplyReloadable's result shares a slice with next")
			}
		}
	})
}

// Every reloadable key exists: a renamed key must not leave a dead entry behind.
func TestReloadableKeysExist(t *testing.T) {
	keys := map[string]bool{}
	for _, f := range Default().fields() {
		keys[f.key] = true
	}
	for k := range reloadable {
		if !keys[k] {
			t.Errorf("reloadable lists %q, which is not a key", k)
		}
	}
}
