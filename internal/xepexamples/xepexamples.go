// Package xepexamples finds the XEP-0079 examples of the shared specification for tests: they
// live beside the repository, at ../shared/spec/xep0079-examples from the directory holding
// go.mod.
package xepexamples

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/ampd-xmpp/ampd/internal/sandboxproc"
)

// Dir returns the examples directory, or skips the test with the reason when it is absent.
func Dir(t testing.TB) string {
	t.Helper()
	root, err := sandboxproc.RepoRoot()
	if err != nil {
		t.Skipf("cannot locate the shared XEP-0079 examples: %v", err)
	}
	examples := filepath.Join(root, "..", "shared", "spec", "xep0079-examples")
	if _, err := os.Stat(examples); err != nil {
		t.Skipf("XEP-0079 examples not found at ../shared/spec/xep0079-examples from the repository root: %v", err)
	}
	return examples
}

// Read returns the file of Example n as it is (with its leading comment).
func Read(t testing.TB, n int) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Dir(t), fmt.Sprintf("example-%02d.xml", n)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
