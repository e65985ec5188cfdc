#!/bin/sh
# install-prosody.sh: make sure Prosody and prosody-modules (for mod_privilege)
# are installed, for the sandbox server of ampd's tests and of `make run`.
# Idempotent: does nothing when both are present. Debian/Ubuntu (apt) only.
# Leaves no system Prosody service running that the installation started.
set -eu

say() { printf 'install-prosody: %s\n' "$*"; }

privilege_present() {
	for dir in /usr/lib/prosody/modules /usr/lib/prosody-modules /usr/local/lib/prosody/modules; do
		if [ -f "$dir/mod_privilege/mod_privilege.lua" ] || [ -f "$dir/mod_privilege.lua" ]; then
			return 0
		fi
	done
	return 1
}

if command -v prosody >/dev/null 2>&1 && privilege_present; then
	say "prosody and mod_privilege are already installed; nothing to do"
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	say "apt-get not found: install Prosody 0.12 and prosody-modules (mod_privilege) by hand" >&2
	exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		say "not root and no sudo: cannot install packages" >&2
		exit 1
	fi
fi

# Remember whether a system Prosody was running before, so that only one the
# installation started is stopped afterwards.
was_running=no
if [ -f /run/prosody/prosody.pid ] && kill -0 "$(cat /run/prosody/prosody.pid)" 2>/dev/null; then
	was_running=yes
fi

say "running apt-get update"
$SUDO apt-get update
say "installing prosody prosody-modules"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y prosody prosody-modules

if [ "$was_running" = yes ]; then
	say "a system Prosody was running before the installation; leaving it alone"
	exit 0
fi

stopped=no
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
	if $SUDO systemctl is-active --quiet prosody 2>/dev/null; then
		say "stopping the system prosody service the package started (systemctl)"
		$SUDO systemctl stop prosody && stopped=yes
	fi
fi
if [ "$stopped" = no ] && [ -x /etc/init.d/prosody ]; then
	if [ -f /run/prosody/prosody.pid ] && kill -0 "$(cat /run/prosody/prosody.pid)" 2>/dev/null; then
		say "stopping the system prosody service the package started (init script)"
		$SUDO /etc/init.d/prosody stop || true
	fi
fi
if [ -f /run/prosody/prosody.pid ] && kill -0 "$(cat /run/prosody/prosody.pid)" 2>/dev/null; then
	say "stopping the system prosody by its pidfile /run/prosody/prosody.pid"
	$SUDO kill "$(cat /run/prosody/prosody.pid)" || true
fi

say "done: $(command -v prosody)"
