// Package serverkind names the XMPP servers of ampd's test matrix (Prosody 0.12 and
// ejabberd 23.01 on the host, Prosody 13 and ejabberd 24.12 in a Debian 13 root) and runs a
// command inside that root. It is a leaf: the server harnesses (internal/prosodytest,
// internal/ejabberdtest) and everything above them read the matrix from here.
package serverkind

import (
	"fmt"
	"os"
	"strings"
)

// Env is the variable that picks the server of a test run.
const Env = "AMPD_TEST_SERVER"

// The families: which harness starts the server.
const (
	Prosody  = "prosody"
	Ejabberd = "ejabberd"
)

// Kind is one server of the matrix.
type Kind struct {
	// Name is what AMPD_TEST_SERVER, `make run SERVER=` and `ampbench -server` take.
	Name string
	// Family is Prosody or Ejabberd.
	Family string
	// Title names it for people ("Prosody 13").
	Title string
	// Trixie: the server runs inside the Debian 13 root (TrixieRoot) with chroot; otherwise
	// it is the host's package.
	Trixie bool
}

// All is the matrix, in the order the tests run it.
var All = []Kind{
	{Name: "prosody", Family: Prosody, Title: "Prosody 0.12"},
	{Name: "prosody13", Family: Prosody, Title: "Prosody 13", Trixie: true},
	{Name: "ejabberd", Family: Ejabberd, Title: "ejabberd 23.01"},
	{Name: "ejabberd24", Family: Ejabberd, Title: "ejabberd 24.12", Trixie: true},
}

// Names lists the names of All.
func Names() []string {
	var names []string
	for _, k := range All {
		names = append(names, k.Name)
	}
	return names
}

// Lookup returns the kind called name.
func Lookup(name string) (Kind, error) {
	for _, k := range All {
		if k.Name == name {
			return k, nil
		}
	}
	return Kind{}, fmt.Errorf("unknown server %q: want one of %s", name, strings.Join(Names(), ", "))
}

// FromEnv returns the kind AMPD_TEST_SERVER names, Prosody 0.12 when it is unset.
func FromEnv() (Kind, error) {
	name := os.Getenv(Env)
	if name == "" {
		name = "prosody"
	}
	k, err := Lookup(name)
	if err != nil {
		return Kind{}, fmt.Errorf("%s: %w", Env, err)
	}
	return k, nil
}

// ForFamily returns the kind AMPD_TEST_SERVER names when it is of family, else the host's
// server of that family: a family's own module tests follow the variable when it names one
// of theirs and run against the host's version otherwise.
func ForFamily(family string) (Kind, error) {
	k, err := FromEnv()
	if err != nil {
		return Kind{}, err
	}
	if k.Family == family {
		return k, nil
	}
	return Lookup(family)
}

// Root is the system the kind's server runs in: "" for the host, else TrixieRoot.
func (k Kind) Root() string {
	if k.Trixie {
		return TrixieRoot()
	}
	return ""
}
