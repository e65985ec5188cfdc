package xmlcanon

import (
	"fmt"
	"strings"
)

// Equal reports whether a and b are the same element by meaning (see
// Canonical). When they differ, or when either cannot be parsed, diff says how
// in a form meant for a test failure message.
func Equal(a, b []byte) (equal bool, diff string) {
	return Options{}.Equal(a, b)
}

// Equal is Equal with these options.
func (o Options) Equal(a, b []byte) (equal bool, diff string) {
	ca, err := o.Canonical(a)
	if err != nil {
		return false, fmt.Sprintf("first element: %v\n%s", err, a)
	}
	cb, err := o.Canonical(b)
	if err != nil {
		return false, fmt.Sprintf("second element: %v\n%s", err, b)
	}
	if ca == cb {
		return true, ""
	}
	return false, Diff(ca, cb)
}

// Diff returns a line diff of two canonical forms: lines only in a start with
// "-", lines only in b with "+", common lines with two spaces.
func Diff(a, b string) string {
	x := strings.Split(strings.TrimSuffix(a, "\n"), "\n")
	y := strings.Split(strings.TrimSuffix(b, "\n"), "\n")
	// lcs[i][j] is the length of the longest common subsequence of x[i:] and
	// y[j:]. Canonical forms of stanzas are short, so the quadratic table is fine.
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out strings.Builder
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			out.WriteString("  " + x[i] + "\n")
			i++
			j++
		case j < len(y) && (i == len(x) || lcs[i][j+1] >= lcs[i+1][j]):
			out.WriteString("+ " + y[j] + "\n")
			j++
		default:
			out.WriteString("- " + x[i] + "\n")
			i++
		}
	}
	return out.String()
}
