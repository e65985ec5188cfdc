// Package xepexamples finds the XEP-0079 examples of the shared specification for tests: they
// live beside the repository, at ../shared/spec/xep0079-examples from the directory holding
// go.mod.
package xepexamples

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the examples directory, or skips the test with the reason when it is absent.
func Dir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("no go.mod above the package; cannot locate the shared XEP-0079 examples")
		}
		dir = parent
	}
	examples := filepath.Join(dir, "..", "shared", "spec", "xep0079-examples")
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
