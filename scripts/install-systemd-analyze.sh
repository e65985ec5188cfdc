#!/bin/sh
# install-systemd-analyze.sh: make sure systemd-analyze (Debian's systemd package) is
# installed, for the Debian package test's `systemd-analyze verify` of the ampd unit.
# Idempotent: does nothing when it is present. Debian/Ubuntu (apt) only. It works without
# systemd running (containers): verify and security --offline read unit files only.
set -eu

say() { printf 'install-systemd-analyze: %s\n' "$*"; }

if command -v systemd-analyze >/dev/null 2>&1; then
	say "systemd-analyze is already installed; nothing to do"
	exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
	say "apt-get not found: install systemd (for systemd-analyze) by hand" >&2
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
say "running apt-get update"
$SUDO apt-get update
say "installing systemd (for systemd-analyze)"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends systemd
say "done: $(command -v systemd-analyze)"
