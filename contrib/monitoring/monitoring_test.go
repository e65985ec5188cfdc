package monitoring

import (
	"bufio"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/ampd-xmpp/ampd/metrics"
)

// targetLabels are the labels Prometheus adds to every scraped series.
var targetLabels = []string{"instance", "job"}

// series is one name a scrape of ampd yields.
type series struct {
	family string          // the metric family: the histogram's name for its _bucket
	labels map[string]bool // the label names, with the target labels
}

// exported returns every series name a running ampd serves at /metrics, read from the
// registry ampd serves (metrics.NewRegistry), plus "up", which Prometheus itself records for
// each scrape.
func exported(t *testing.T) map[string]series {
	t.Helper()
	reg, m := metrics.NewRegistry()
	m.ResetHosts([]string{"example.org"}) // the per-host series exist once hosts are configured
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]series{"up": {"up", set(targetLabels...)}}
	add := func(name, family string, labels map[string]bool, extra ...string) {
		l := set(append(slices.Clone(targetLabels), extra...)...)
		for k := range labels {
			l[k] = true
		}
		names[name] = series{family, l}
	}
	for _, f := range families {
		labels := map[string]bool{}
		for _, s := range f.GetMetric() {
			for _, p := range s.GetLabel() {
				labels[p.GetName()] = true
			}
		}
		name := f.GetName()
		switch f.GetType() {
		case dto.MetricType_HISTOGRAM:
			add(name+"_bucket", name, labels, "le")
			add(name+"_sum", name, labels)
			add(name+"_count", name, labels)
		case dto.MetricType_SUMMARY:
			add(name, name, labels, "quantile")
			add(name+"_sum", name, labels)
			add(name+"_count", name, labels)
		default:
			add(name, name, labels)
		}
	}
	return names
}

// check reports every name in expr that ampd does not export, and returns the metrics used.
func check(t *testing.T, where, expr string, names map[string]series) []string {
	t.Helper()
	u, err := read(expr)
	if err != nil {
		t.Errorf("%s: cannot read %q: %v", where, expr, err)
		return nil
	}
	if len(u.metrics) == 0 {
		t.Errorf("%s: %q selects no metric", where, expr)
	}
	all := map[string]bool{}
	for _, s := range names {
		for l := range s.labels {
			all[l] = true
		}
	}
	for _, f := range u.unknown {
		t.Errorf("%s: %q calls %s, which is not a PromQL function", where, expr, f)
	}
	for _, m := range u.metrics {
		if _, ok := names[m]; !ok {
			t.Errorf("%s: %q uses %s, which ampd does not export", where, expr, m)
		}
	}
	for m, labels := range u.selectors {
		for _, l := range labels {
			if s, ok := names[m]; ok && !s.labels[l] {
				t.Errorf("%s: %q matches label %q, which %s does not have", where, expr, l, m)
			}
		}
	}
	for _, l := range u.grouped {
		if !all[l] {
			t.Errorf("%s: %q groups by label %q, which no ampd metric has", where, expr, l)
		}
	}
	return u.metrics
}

type dashboard struct {
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name  string          `json:"name"`
			Type  string          `json:"type"`
			Query json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	Title   string  `json:"title"`
	Type    string  `json:"type"`
	Panels  []panel `json:"panels"` // a collapsed row's panels
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
}

var labelValues = regexp.MustCompile(`^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$`)

// Every query of the dashboard names only metrics and labels that ampd exports, and every
// metric family of ampd is on the dashboard.
func TestDashboardQueriesExportedMetrics(t *testing.T) {
	raw, err := os.ReadFile("ampd-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("ampd-dashboard.json: %v", err)
	}
	names := exported(t)
	shown := map[string]bool{}
	var walk func([]panel)
	queries := 0
	walk = func(ps []panel) {
		for _, p := range ps {
			walk(p.Panels)
			if p.Type != "row" && len(p.Targets) == 0 {
				t.Errorf("panel %q has no query", p.Title)
			}
			for _, q := range p.Targets {
				queries++
				for _, m := range check(t, "panel "+p.Title, q.Expr, names) {
					shown[names[m].family] = true
				}
			}
		}
	}
	walk(d.Panels)
	if queries == 0 {
		t.Fatal("the dashboard has no query")
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q struct{ Query string }
		if err := json.Unmarshal(v.Query, &q); err != nil {
			t.Fatalf("variable %s: %v", v.Name, err)
		}
		mm := labelValues.FindStringSubmatch(q.Query)
		if mm == nil {
			t.Errorf("variable %s: query %q is not label_values(metric, label)", v.Name, q.Query)
			continue
		}
		if !names[mm[1]].labels[mm[2]] {
			t.Errorf("variable %s: %s has no label %s in ampd's metrics", v.Name, mm[1], mm[2])
		}
	}
	var missing []string
	for _, s := range names {
		if strings.HasPrefix(s.family, "ampd_") && !shown[s.family] {
			missing = append(missing, s.family)
		}
	}
	sort.Strings(missing)
	if missing = slices.Compact(missing); len(missing) > 0 {
		t.Errorf("metrics ampd exports that the dashboard does not show: %v", missing)
	}
}

// Every alerting rule names only metrics and labels that ampd exports (promtool test rules
// checks what the rules do, but its test series are written by hand and could share a typo).
func TestAlertRulesQueryExportedMetrics(t *testing.T) {
	f, err := os.Open("ampd-alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names := exported(t)
	rules := 0
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		expr, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "expr:")
		if !ok {
			continue
		}
		expr = strings.TrimSpace(expr)
		if expr == "" || strings.ContainsAny(expr[:1], "|>'\"") {
			t.Fatalf("ampd-alerts.yml:%d: keep each expr on one unquoted line, so that this test reads it", line)
		}
		rules++
		check(t, "ampd-alerts.yml:"+strconv.Itoa(line), expr, names)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if rules == 0 {
		t.Fatal("no expr: line in ampd-alerts.yml")
	}
}
