// Command mkdeb builds ampd's Debian package from a built ampd binary, with nfpm used as a
// library (make deb runs it):
//
//	go run ./cmd/mkdeb -binary bin/deb/ampd -version "$(git describe --tags --always)" -out bin
//
// The package installs /usr/bin/ampd, /etc/ampd/ampd.toml (a conffile: config.example.toml
// with the store in /var/lib/ampd), the systemd unit packaging/ampd.service, both server
// modules and the monitoring files under /usr/share/ampd/, and the maintainer scripts of
// packaging/ that create the user "ampd" and /var/lib/ampd.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/files"

	"github.com/ampd-xmpp/ampd/internal/sandboxproc"
)

func main() {
	var o options
	flag.StringVar(&o.Binary, "binary", "", "the ampd binary to package (built for linux/ARCH; required)")
	flag.StringVar(&o.Version, "version", "", "the version, e.g. the output of git describe (required; made a valid Debian version)")
	flag.StringVar(&o.Arch, "arch", "amd64", "Debian architecture of the binary")
	flag.StringVar(&o.Root, "root", "", "the repository root (default: found from the working directory)")
	flag.StringVar(&o.OutDir, "out", ".", "directory to write ampd_VERSION_ARCH.deb to")
	flag.Parse()
	path, err := build(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkdeb:", err)
		os.Exit(1)
	}
	fmt.Println(path)
}

// options are mkdeb's inputs.
type options struct {
	Binary, Version, Arch, Root, OutDir string
}

// Where the package puts things; the unit and the scripts of packaging/ use the same paths.
const (
	configPath = "/etc/ampd/ampd.toml"
	storePath  = "/var/lib/ampd/ampd.db"
	shareDir   = "/usr/share/ampd"
)

// build writes the package and returns its path.
func build(o options) (string, error) {
	if o.Binary == "" || o.Version == "" {
		return "", fmt.Errorf("-binary and -version are required")
	}
	if o.Arch == "" {
		o.Arch = "amd64"
	}
	if o.Root == "" {
		root, err := sandboxproc.RepoRoot()
		if err != nil {
			return "", err
		}
		o.Root = root
	}
	version, err := debVersion(o.Version)
	if err != nil {
		return "", err
	}
	if st, err := os.Stat(o.Binary); err != nil || st.Mode()&0o111 == 0 {
		return "", fmt.Errorf("-binary %q is not an executable file (build it first: make deb)", o.Binary)
	}
	work, err := os.MkdirTemp("", "mkdeb-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	conffile := filepath.Join(work, "ampd.toml")
	if err := writeConffile(filepath.Join(o.Root, "config.example.toml"), conffile); err != nil {
		return "", err
	}

	info := nfpm.WithDefaults(&nfpm.Info{
		Name:          "ampd",
		Arch:          o.Arch,
		Platform:      "linux",
		Version:       version,
		VersionSchema: "none",
		Section:       "net",
		Priority:      "optional",
		Maintainer:    "ampd maintainers <ampd-xmpp@users.noreply.github.com>",
		Homepage:      "https://github.com/ampd-xmpp/ampd",
		Description: "XEP-0079 Advanced Message Processing for Prosody and ejabberd\n" +
			"ampd connects to the XMPP server as an external component (XEP-0114); a thin\n" +
			"server module (in /usr/share/ampd) diverts AMP messages to it, and ampd answers\n" +
			"each with a verdict and the reply the sender is owed.",
		MTime: time.Unix(0, 0).UTC(), // the same inputs give the same package
		Overridables: nfpm.Overridables{
			Contents: contents(o.Root, o.Binary, conffile),
			Scripts: nfpm.Scripts{
				PostInstall: filepath.Join(o.Root, "packaging", "postinst"),
				PreRemove:   filepath.Join(o.Root, "packaging", "prerm"),
				PostRemove:  filepath.Join(o.Root, "packaging", "postrm"),
			},
			// useradd and groupadd (passwd), getent (libc-bin), deb-systemd-helper
			// (init-system-helpers) are all essential or required on Debian.
			Depends: []string{"passwd"},
		},
	})
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(o.OutDir, fmt.Sprintf("ampd_%s_%s.deb", version, o.Arch))
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	if err := deb.Default.Package(info, f); err != nil {
		f.Close()
		os.Remove(path)
		return "", fmt.Errorf("building %s: %w", path, err)
	}
	return path, f.Close()
}

// contents lists the files of the package.
func contents(root, binary, conffile string) files.Contents {
	file := func(src, dst string, mode os.FileMode) *files.Content {
		return &files.Content{Source: src, Destination: dst, FileInfo: &files.ContentFileInfo{Mode: mode}}
	}
	repo := func(rel, dst string) *files.Content { return file(filepath.Join(root, rel), dst, 0o644) }
	return files.Contents{
		file(binary, "/usr/bin/ampd", 0o755),
		// postinst makes it root:ampd 0640: it holds the component secret.
		{Source: conffile, Destination: configPath, Type: files.TypeConfig, FileInfo: &files.ContentFileInfo{Mode: 0o640}},
		repo("packaging/ampd.service", "/usr/lib/systemd/system/ampd.service"),
		repo("README.md", "/usr/share/doc/ampd/README.md"),
		repo("config.example.toml", "/usr/share/doc/ampd/config.example.toml"),
		repo("docs/CONFIGURATION.md", "/usr/share/doc/ampd/CONFIGURATION.md"),
		repo("contrib/prosody/mod_ampd.lua", shareDir+"/prosody/mod_ampd.lua"),
		repo("contrib/prosody/README.md", shareDir+"/prosody/README.md"),
		// The ejabberd module in the layout ejabberdctl module_install and module_check expect.
		repo("contrib/ejabberd/src/mod_ampd.erl", shareDir+"/ejabberd/src/mod_ampd.erl"),
		repo("contrib/ejabberd/mod_ampd.spec", shareDir+"/ejabberd/mod_ampd.spec"),
		repo("contrib/ejabberd/conf/mod_ampd.yml", shareDir+"/ejabberd/conf/mod_ampd.yml"),
		repo("contrib/ejabberd/README.txt", shareDir+"/ejabberd/README.txt"),
		repo("contrib/ejabberd/COPYING", shareDir+"/ejabberd/COPYING"),
		repo("contrib/ejabberd/README.md", shareDir+"/ejabberd/README.md"),
		repo("contrib/monitoring/ampd-alerts.yml", shareDir+"/monitoring/ampd-alerts.yml"),
		repo("contrib/monitoring/ampd-dashboard.json", shareDir+"/monitoring/ampd-dashboard.json"),
		repo("contrib/monitoring/README.md", shareDir+"/monitoring/README.md"),
	}
}

// exampleStore is the store line of config.example.toml that the packaged configuration
// replaces: a relative store path would be relative to /etc/ampd.
const exampleStore = `path = "ampd.db"`

// writeConffile writes the packaged ampd.toml: the commented example with the store in the
// unit's StateDirectory.
func writeConffile(example, dst string) error {
	data, err := os.ReadFile(example)
	if err != nil {
		return err
	}
	text := string(data)
	if n := strings.Count(text, "\n"+exampleStore+"\n"); n != 1 {
		return fmt.Errorf("%s: want exactly one line %s to point at %s, found %d", example, exampleStore, storePath, n)
	}
	text = strings.Replace(text, "\n"+exampleStore+"\n", fmt.Sprintf("\npath = %q\n", storePath), 1)
	header := "# /etc/ampd/ampd.toml of the ampd Debian package. Set component.address, domain and\n" +
		"# secret (or secret_file) and server.hosts, then: ampd doctor --config /etc/ampd/ampd.toml\n" +
		"# and systemctl enable --now ampd.\n#\n"
	return os.WriteFile(dst, []byte(header+text), 0o640)
}

var (
	debVersionChars = regexp.MustCompile(`[^A-Za-z0-9.+~]+`)
	gitDescribe     = regexp.MustCompile(`^(.*)-([0-9]+)-g([0-9a-f]+)$`)
)

// debVersion turns a version as git describe gives it into a Debian version: "v1.2.0" is
// 1.2.0, "v1.2.0-3-gabc123" (3 commits after the tag) is 1.2.0+3.gabc123, a bare commit
// "abc123" (no tag yet) is 0~gitabc123, and "-dirty" becomes "+dirty".
func debVersion(v string) (string, error) {
	dirty := strings.HasSuffix(v, "-dirty")
	v = strings.TrimSuffix(v, "-dirty")
	if m := gitDescribe.FindStringSubmatch(v); m != nil {
		v = m[1] + "+" + m[2] + ".g" + m[3]
	}
	if len(v) > 1 && v[0] == 'v' && v[1] >= '0' && v[1] <= '9' {
		v = v[1:]
	}
	if v == "" {
		return "", fmt.Errorf("empty version")
	}
	if v[0] < '0' || v[0] > '9' {
		v = "0~git" + v
	}
	v = debVersionChars.ReplaceAllString(v, "+")
	if dirty {
		v += "+dirty"
	}
	return v, nil
}
