package held

import (
	"testing"

	"github.com/ampd-xmpp/ampd/store"
)

func newStore(t *testing.T, path string) (*store.Store, error) {
	t.Helper()
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return st, nil
}
