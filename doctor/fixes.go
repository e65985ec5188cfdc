package doctor

import (
	"fmt"
	"net"
	"strings"
)

// Family is the XMPP server software, as its disco#info identity names it.
type Family string

const (
	Unknown  Family = ""
	Prosody  Family = "Prosody"
	Ejabberd Family = "ejabberd"
)

// familyOf reads the family from the name of a server's disco#info identity.
func familyOf(identityName string) Family {
	switch n := strings.ToLower(identityName); {
	case strings.Contains(n, "prosody"):
		return Prosody
	case strings.Contains(n, "ejabberd"):
		return Ejabberd
	}
	return Unknown
}

// fix joins the fix for each family: only the detected one's, or both when unknown.
func fix(f Family, common, prosody, ejabberd string) string {
	var b strings.Builder
	if common != "" {
		b.WriteString(common + "\n")
	}
	if f != Ejabberd {
		b.WriteString("Prosody (prosody.cfg.lua):\n" + indent(prosody))
	}
	if f != Prosody {
		b.WriteString("ejabberd (ejabberd.yml):\n" + indent(ejabberd))
	}
	return b.String()
}

func indent(text string) string {
	var b strings.Builder
	for line := range strings.SplitSeq(strings.TrimRight(text, "\n"), "\n") {
		b.WriteString("  " + line + "\n")
	}
	return b.String()
}

func fixServerDown(address string) string {
	host, port, _ := net.SplitHostPort(address)
	return fix(Unknown,
		fmt.Sprintf("Start the XMPP server (systemctl start prosody, or ejabberd) and check that its component port is %s, as ampd.toml says (component.address, or component.addresses for a cluster):", address),
		fmt.Sprintf("component_ports = { %s }\ncomponent_interfaces = { %q }", port, host),
		fmt.Sprintf("listen:\n  -\n    port: %s\n    ip: %q\n    module: ejabberd_service", port, host))
}

func fixSecret(f Family, domain string) string {
	return fix(f,
		"component.secret (or the file named by component.secret_file) in ampd.toml must equal the component's secret on the server:",
		fmt.Sprintf("Component %q\n  component_secret = \"the same secret\"", domain),
		fmt.Sprintf("listen:\n  -\n    module: ejabberd_service\n    hosts:\n      %q:\n        password: \"the same secret\"", domain))
}

func fixDomain(f Family, domain string) string {
	return fix(f,
		fmt.Sprintf("The server does not accept a component named %q (component.domain in ampd.toml): declare it, or correct component.domain:", domain),
		fmt.Sprintf("Component %q\n  component_secret = \"the shared secret\"", domain),
		fmt.Sprintf("listen:\n  -\n    module: ejabberd_service\n    hosts:\n      %q:\n        password: \"the shared secret\"", domain))
}

// fixPrivileges is the fix for a host that granted less than ampd needs: presence always,
// roster get when the presence policy reads rosters.
func fixPrivileges(f Family, host, domain string) string {
	return fix(f,
		fmt.Sprintf("Grant the component %s XEP-0356 presence (managed_entity) and roster (get) on %s (mod_privilege), then restart the server:", domain, host),
		fmt.Sprintf("VirtualHost %q\n  modules_enabled = { \"privilege\" }  -- besides the others\n  privileged_entities = { [%q] = { presence = \"managed_entity\", roster = \"get\" } }\nComponent %q\n  modules_enabled = { \"privilege\" }", host, domain, domain),
		fmt.Sprintf("acl:\n  ampd_component:\n    server: %q\naccess_rules:\n  ampd_component:\n    allow: ampd_component\nmodules:\n  mod_privilege:\n    roster:\n      get: ampd_component\n    presence:\n      managed_entity: ampd_component", domain))
}

func fixModule(f Family, host, domain string) string {
	return fix(f,
		fmt.Sprintf("Load mod_ampd for %s with component %s (the Debian package ships it in /usr/share/ampd/; see its README there), then restart or reload the server:", host, domain),
		fmt.Sprintf("plugin_paths = { \"/usr/share/ampd/prosody\" }\nVirtualHost %q\n  modules_enabled = { \"ampd\", \"privilege\" }  -- besides the others\n  ampd_component = %q", host, domain),
		fmt.Sprintf("modules:\n  mod_ampd:\n    component: %q\n(compile and install it as /usr/share/ampd/ejabberd/README.md says)", domain))
}
