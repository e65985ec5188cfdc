#!/bin/sh
# install-postgresql.sh: make sure PostgreSQL's server binaries (initdb, pg_ctl, postgres) are
# installed, for the tests of ampd's PostgreSQL store (internal/pgtest starts its own server in
# a temporary directory). Idempotent: does nothing when they are present. Debian/Ubuntu (apt)
# only. Leaves no system PostgreSQL cluster running that the installation started.
set -eu

say() { printf 'install-postgresql: %s\n' "$*"; }

present() {
	for bin in /usr/lib/postgresql/*/bin/initdb; do
		[ -x "$bin" ] && [ -x "$(dirname "$bin")/pg_ctl" ] && return 0
	done
	return 1
}

if present; then
	say "PostgreSQL server binaries are already installed; nothing to do"
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	say "apt-get not found: install the PostgreSQL server (initdb, pg_ctl) by hand" >&2
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

# Remember which clusters were running before, so that only those the installation started
# are stopped afterwards.
running_before=""
if command -v pg_lsclusters >/dev/null 2>&1; then
	running_before=$(pg_lsclusters -h 2>/dev/null | awk '$4 == "online" {print $1 "/" $2}')
fi

say "running apt-get update"
$SUDO apt-get update
say "installing postgresql"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql

if command -v pg_lsclusters >/dev/null 2>&1; then
	pg_lsclusters -h 2>/dev/null | awk '$4 == "online" {print $1, $2}' | while read -r ver name; do
		case " $running_before " in
		*" $ver/$name "*) say "cluster $ver/$name was running before the installation; leaving it alone" ;;
		*)
			say "stopping cluster $ver/$name that the package started"
			$SUDO pg_ctlcluster "$ver" "$name" stop || true
			;;
		esac
	done
fi

if ! present; then
	say "postgresql installed but initdb/pg_ctl not found under /usr/lib/postgresql/*/bin" >&2
	exit 1
fi
say "done"
