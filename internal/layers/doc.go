// Package layers holds the test that keeps docs/ARCHITECTURE.md true: every package of the
// module sits in the layer the document gives it, and imports nothing above that layer.
package layers
