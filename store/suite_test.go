package store_test

import (
	"path/filepath"
	"testing"

	"github.com/ampd-xmpp/ampd/store"
	"github.com/ampd-xmpp/ampd/store/storetest"
)

// TestEmbedded runs the backend suite against the embedded file.
func TestEmbedded(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		path := filepath.Join(t.TempDir(), "held.db")
		return func(readOnly bool) (store.Backend, error) {
			return store.Open(path, store.Options{ReadOnly: readOnly})
		}
	})
}
