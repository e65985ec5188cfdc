#!/bin/sh
# install-promtool.sh: make sure promtool (Debian's prometheus package) is installed, for the
# unit tests of contrib/monitoring/ampd-alerts.yml (make monitoring-test).
# Idempotent: does nothing when promtool is present. Debian/Ubuntu (apt) only.
# The package's Prometheus service is not started: only its promtool is wanted.
set -eu

say() { printf 'install-promtool: %s\n' "$*"; }

if command -v promtool >/dev/null 2>&1; then
	say "promtool is already installed; nothing to do"
	exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
	say "apt-get not found: install promtool (Prometheus 2.x) by hand" >&2
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

# policy-rc.d answering 101 is Debian's way to keep maintainer scripts from starting services;
# only put one in place (and remove it) when there is none.
policy=/usr/sbin/policy-rc.d
own_policy=no
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
	$SUDO chmod 755 "$policy"
	own_policy=yes
fi
cleanup() { if [ "$own_policy" = yes ]; then $SUDO rm -f "$policy"; fi; }
trap cleanup EXIT

say "running apt-get update"
$SUDO apt-get update
say "installing prometheus (for promtool)"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus
say "done: $(command -v promtool)"
