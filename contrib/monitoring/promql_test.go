package monitoring

import (
	"fmt"
	"strings"
	"unicode"
)

// A small PromQL reader: enough to find the metric names, the label names and the functions
// an expression uses, so that a query naming something ampd does not export fails the test.
// It does not evaluate or fully parse PromQL (promtool does that for the rules).

// tokKind is the kind of a PromQL token.
type tokKind int

const (
	tokIdent    tokKind = iota // metric, label, function or keyword name
	tokString                  // "…", '…' or `…`
	tokNumber                  // 0.99, 5m, 1/60's parts
	tokRange                   // […] after a selector, its content unread
	tokVariable                // a Grafana variable: $instance, ${datasource}
	tokPunct                   // one operator character
)

type token struct {
	kind tokKind
	text string
}

func isIdentStart(r byte) bool { return r == '_' || r == ':' || unicode.IsLetter(rune(r)) }
func isIdentPart(r byte) bool  { return isIdentStart(r) || unicode.IsDigit(rune(r)) }

// lex splits a PromQL expression into tokens.
func lex(expr string) ([]token, error) {
	var toks []token
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case isIdentStart(c):
			j := i + 1
			for j < len(expr) && isIdentPart(expr[j]) {
				j++
			}
			toks = append(toks, token{tokIdent, expr[i:j]})
			i = j
		case c >= '0' && c <= '9' || c == '.':
			j := i + 1
			for j < len(expr) && (isIdentPart(expr[j]) || expr[j] == '.') {
				j++
			}
			toks = append(toks, token{tokNumber, expr[i:j]})
			i = j
		case c == '"' || c == '\'' || c == '`':
			j := i + 1
			for j < len(expr) && expr[j] != c {
				if expr[j] == '\\' && c != '`' {
					j++
				}
				j++
			}
			if j >= len(expr) {
				return nil, fmt.Errorf("unterminated string at %d", i)
			}
			toks = append(toks, token{tokString, expr[i+1 : j]})
			i = j + 1
		case c == '[':
			j := strings.IndexByte(expr[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("unterminated range at %d", i)
			}
			toks = append(toks, token{tokRange, expr[i+1 : i+j]})
			i += j + 1
		case c == '$':
			j := i + 1
			if j < len(expr) && expr[j] == '{' {
				k := strings.IndexByte(expr[j:], '}')
				if k < 0 {
					return nil, fmt.Errorf("unterminated variable at %d", i)
				}
				j += k + 1
			} else {
				for j < len(expr) && isIdentPart(expr[j]) {
					j++
				}
			}
			toks = append(toks, token{tokVariable, expr[i:j]})
			i = j
		default:
			toks = append(toks, token{tokPunct, string(c)})
			i++
		}
	}
	return toks, nil
}

// functions are the PromQL functions and aggregation operators a query may call.
var functions = set(
	"abs", "absent", "absent_over_time", "avg", "avg_over_time", "bottomk", "ceil", "changes",
	"clamp", "clamp_max", "clamp_min", "count", "count_over_time", "count_values", "delta",
	"deriv", "exp", "floor", "group", "histogram_quantile", "idelta", "increase", "irate",
	"label_join", "label_replace", "last_over_time", "ln", "log10", "log2", "max",
	"max_over_time", "min", "min_over_time", "predict_linear", "quantile",
	"quantile_over_time", "rate", "resets", "round", "scalar", "sort", "sort_desc", "sqrt",
	"stddev", "stdvar", "sum", "sum_over_time", "time", "timestamp", "topk", "vector",
)

// grouping keywords take a parenthesised list of label names.
var grouping = set("by", "without", "on", "ignoring", "group_left", "group_right")

// operators are the keywords that are neither names nor functions.
var operators = set("and", "or", "unless", "bool", "offset")

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// usage is what one expression refers to.
type usage struct {
	metrics   []string            // metric names selected
	selectors map[string][]string // metric name → label names in its {…} matchers
	grouped   []string            // label names in by/without/on/ignoring/group_* lists
	unknown   []string            // identifiers called as functions that PromQL has not
}

// read lists the metric names, label names and functions expr uses.
func read(expr string) (usage, error) {
	toks, err := lex(expr)
	if err != nil {
		return usage{}, err
	}
	u := usage{selectors: map[string][]string{}}
	// labelList reads the identifiers from toks[i] (an opening bracket) to its closing one.
	labelList := func(i int, open, close string) ([]string, int, error) {
		if i >= len(toks) || toks[i].text != open {
			return nil, i, fmt.Errorf("expected %q after %q", open, toks[i-1].text)
		}
		var names []string
		for i++; i < len(toks) && toks[i].text != close; i++ {
			if toks[i].kind == tokIdent {
				names = append(names, toks[i].text)
			}
		}
		if i == len(toks) {
			return nil, i, fmt.Errorf("missing %q", close)
		}
		return names, i, nil
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		next := ""
		if i+1 < len(toks) {
			next = toks[i+1].text
		}
		switch {
		case t.kind == tokPunct && t.text == "{": // a selector without a metric name
			names, end, err := labelList(i, "{", "}")
			if err != nil {
				return u, err
			}
			u.grouped = append(u.grouped, names...)
			i = end
		case t.kind != tokIdent:
		case grouping[t.text]:
			if next != "(" { // group_left without a list
				continue
			}
			names, end, err := labelList(i+1, "(", ")")
			if err != nil {
				return u, err
			}
			u.grouped = append(u.grouped, names...)
			i = end
		case operators[t.text]:
		case next == "(" || functions[t.text] && grouping[next]:
			if !functions[t.text] {
				u.unknown = append(u.unknown, t.text)
			}
		default:
			u.metrics = append(u.metrics, t.text)
			if next == "{" {
				names, end, err := labelList(i+1, "{", "}")
				if err != nil {
					return u, err
				}
				u.selectors[t.text] = append(u.selectors[t.text], names...)
				i = end
			}
		}
	}
	return u, nil
}
