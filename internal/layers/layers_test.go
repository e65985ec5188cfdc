package layers

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

const module = "github.com/ampd-xmpp/ampd/"

// beside is the layer of test support: anybody at or above commands may import it.
const beside = 100

// layerTable reads the layer table of docs/ARCHITECTURE.md: package path prefix → layer.
func layerTable(t *testing.T) map[string]int {
	t.Helper()
	f, err := os.Open("../../docs/ARCHITECTURE.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	row := regexp.MustCompile("^\\| (\\d+)\\. [^|]+\\| ([^|]+)\\||^\\| beside \\| ([^|]+)\\|")
	pkg := regexp.MustCompile("`([a-z0-9/]+)/`")
	table := map[string]int{}
	for s := bufio.NewScanner(f); s.Scan(); {
		m := row.FindStringSubmatch(s.Text())
		if m == nil {
			continue
		}
		layer, cells := beside, m[3]
		if m[1] != "" {
			layer, cells = int(m[1][0]-'0'), m[2]
		}
		for _, p := range pkg.FindAllStringSubmatch(cells, -1) {
			table[p[1]] = layer
		}
	}
	if len(table) == 0 {
		t.Fatal("no layer table found in docs/ARCHITECTURE.md")
	}
	return table
}

// layerOf returns the layer of the longest table prefix of pkg.
func layerOf(table map[string]int, pkg string) (int, bool) {
	best, layer := "", 0
	for p, l := range table {
		if (pkg == p || strings.HasPrefix(pkg, p+"/")) && len(p) > len(best) {
			best, layer = p, l
		}
	}
	return layer, best != ""
}

// imports returns the module's packages with their imports inside the module, read from
// `go list -deps` (non-test imports: tests may use anything).
func imports(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	graph := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || !strings.HasPrefix(fields[0], module) {
			continue
		}
		pkg := strings.TrimPrefix(fields[0], module)
		graph[pkg] = nil
		for _, imp := range fields[1:] {
			if strings.HasPrefix(imp, module) {
				graph[pkg] = append(graph[pkg], strings.TrimPrefix(imp, module))
			}
		}
	}
	return graph
}

func TestImportsRespectTheLayers(t *testing.T) {
	table := layerTable(t)
	graph := imports(t)
	for pkg, deps := range graph {
		layer, ok := layerOf(table, pkg)
		if !ok {
			t.Errorf("%s is in no layer of docs/ARCHITECTURE.md: add it to the table", pkg)
			continue
		}
		for _, dep := range deps {
			depLayer, ok := layerOf(table, dep)
			if !ok {
				continue // reported as a package of its own
			}
			switch {
			case depLayer == beside && layer < 4:
				t.Errorf("%s (layer %d) imports the test support %s", pkg, layer, dep)
			case depLayer != beside && layer != beside && depLayer > layer:
				t.Errorf("%s (layer %d) imports %s (layer %d), above its layer", pkg, layer, dep, depLayer)
			}
		}
	}
	for p := range table {
		found := false
		for pkg := range graph {
			found = found || pkg == p || strings.HasPrefix(pkg, p+"/")
		}
		if !found {
			t.Errorf("docs/ARCHITECTURE.md names %s/, which has no package", p)
		}
	}
}

// The core and the bytes layer do no I/O and read no clock: they import nothing that could.
func TestCoreHasNoIO(t *testing.T) {
	table := layerTable(t)
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	forbidden := map[string]bool{"os": true, "os/exec": true, "net": true, "net/http": true, "log": true, "log/slog": true, "syscall": true, "database/sql": true, "math/rand": true, "math/rand/v2": true}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], module)
		if layer, ok := layerOf(table, pkg); !ok || layer > 1 {
			continue
		}
		for _, imp := range fields[1:] {
			if forbidden[imp] {
				t.Errorf("%s (layer %d) imports %s", pkg, layerOfMust(table, pkg), imp)
			}
		}
	}
}

func layerOfMust(table map[string]int, pkg string) int { l, _ := layerOf(table, pkg); return l }
