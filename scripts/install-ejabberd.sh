#!/bin/sh
# install-ejabberd.sh — make the Debian ejabberd package and erlc available for
# ampd's ejabberd module and its sandbox tests, and make sure the package's own
# system service is not left running (the tests start their own sandbox nodes).
#
# Idempotent: does nothing but report when everything is already present.
# Needs root (apt-get). Prints every step it takes.
set -eu

say() { printf 'install-ejabberd: %s\n' "$*"; }

started=$(date +%s)

missing=""
command -v ejabberdctl >/dev/null 2>&1 || missing="$missing ejabberd"
# erlc ships in erlang-base; no erlang-dev is needed to compile a module
# against ejabberd's include files.
command -v erlc >/dev/null 2>&1 || missing="$missing erlang-base"

if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		say "missing:$missing, and not root: run as root"
		exit 1
	fi
	say "apt-get update"
	apt-get update -q
	say "apt-get install -y$missing"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
else
	say "ejabberdctl and erlc already present"
fi

# The package may have started its system service on install. Stop it through
# the service manager, or with the package's own control script and default
# configuration; never by killing processes by name.
stop_system_service() {
	if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet ejabberd 2>/dev/null; then
		say "stopping the ejabberd system service (systemctl stop ejabberd)"
		systemctl stop ejabberd
		return
	fi
	if [ -x /etc/init.d/ejabberd ] && /etc/init.d/ejabberd status >/dev/null 2>&1; then
		say "stopping the ejabberd system service (/etc/init.d/ejabberd stop)"
		/etc/init.d/ejabberd stop || true
		return
	fi
	if ejabberdctl status >/dev/null 2>&1; then
		say "stopping the default ejabberd node (ejabberdctl stop)"
		ejabberdctl stop || true
		return
	fi
	say "no ejabberd system service running"
}
stop_system_service

# Installing the package leaves an epmd daemon behind (its postinst runs erl).
# The sandbox nodes use ERL_DIST_PORT and need no epmd; stop it the way
# ejabberdctl itself does, and only when no Erlang node is registered with it.
if command -v epmd >/dev/null 2>&1 && epmd -names >/dev/null 2>&1; then
	if epmd -names 2>/dev/null | grep -q '^name '; then
		say "epmd has registered nodes; leaving it running"
	else
		say "stopping the idle epmd left by the package (epmd -kill)"
		epmd -kill >/dev/null || true
	fi
fi

# Keep it from starting at the next boot: the sandbox must own its ports.
if command -v systemctl >/dev/null 2>&1 && systemctl is-enabled --quiet ejabberd 2>/dev/null; then
	say "disabling the ejabberd system service at boot (systemctl disable ejabberd)"
	systemctl disable ejabberd >/dev/null 2>&1 || true
fi

say "ejabberd $(dpkg-query -W -f='${Version}' ejabberd 2>/dev/null || echo '?'), erlc at $(command -v erlc)"
say "done in $(( $(date +%s) - started )) s"
