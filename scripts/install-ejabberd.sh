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

# When this run installed the package, its postinst may have started the
# system service (and an epmd): stop them through the service manager, the
# init script or the package's own control script, never by killing
# processes by name. A service that was there before this run is left alone.
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

# The sandbox nodes use ERL_DIST_PORT and need no epmd; stop an idle one
# the way ejabberdctl itself does, only when no Erlang node is registered.
stop_idle_epmd() {
	command -v epmd >/dev/null 2>&1 || return 0
	epmd -names >/dev/null 2>&1 || return 0
	if epmd -names 2>/dev/null | grep -q '^name '; then
		say "epmd has registered nodes; leaving it running"
	else
		say "stopping the idle epmd left by the package (epmd -kill)"
		epmd -kill >/dev/null || true
	fi
}

if [ -n "$missing" ]; then
	stop_system_service
	stop_idle_epmd
fi

say "ejabberd $(dpkg-query -W -f='${Version}' ejabberd 2>/dev/null || echo '?'), erlc at $(command -v erlc)"
say "done in $(( $(date +%s) - started )) s"
