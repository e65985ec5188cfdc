#!/bin/sh
# install-trixie.sh: make a Debian 13 (trixie) root with Prosody 13 and
# ejabberd 24.12 in it, for the test matrix (AMPD_TEST_SERVER=prosody13 or
# ejabberd24): the tests run those servers inside it with chroot, on the
# host's loopback. Debian's archive serves trixie to bookworm hosts.
#
# ROOT is $AMPD_TRIXIE_ROOT, default /var/lib/ampd-test/trixie.
# Idempotent: a finished root has a marker file naming its packages, and a
# second run with the same package list does nothing. Needs root.
# No service is left running: policy-rc.d forbids the packages to start any
# while they install, and any process still running inside the root after
# the installation is listed and stopped by its pid.
set -eu

ROOT=${AMPD_TRIXIE_ROOT:-/var/lib/ampd-test/trixie}
MIRROR=${AMPD_TRIXIE_MIRROR:-http://deb.debian.org/debian}
# erlang-dev: the header files some module builds need; erlc itself is in
# erlang-base, which ejabberd pulls in.
PACKAGES="prosody prosody-modules ejabberd erlang-dev"
# LAYOUT changes when this script changes what it leaves in the root.
LAYOUT=2
MARKER="$ROOT/.ampd-test-ready"

say() { printf 'install-trixie: %s\n' "$*"; }

if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$LAYOUT $PACKAGES" ]; then
	say "$ROOT is ready ($PACKAGES); nothing to do"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	say "not root: making a chroot needs root (run: sudo sh $0)" >&2
	exit 1
fi

started=$(date +%s)
elapsed() { echo "$(( $(date +%s) - started )) s"; }

if ! command -v debootstrap >/dev/null 2>&1; then
	say "installing debootstrap"
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap
fi

# Mounts made here are undone on every exit.
mounted=""
cleanup() {
	for m in $mounted; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
}
trap cleanup EXIT INT TERM

if [ ! -x "$ROOT/usr/bin/apt-get" ] || [ ! -f "$ROOT/.ampd-debootstrap-done" ]; then
	say "debootstrap --variant=minbase trixie $ROOT (about 80 s)"
	mkdir -p "$ROOT"
	debootstrap --variant=minbase trixie "$ROOT" "$MIRROR"
	touch "$ROOT/.ampd-debootstrap-done"
	say "debootstrap done after $(elapsed)"
else
	say "debootstrap already done in $ROOT"
fi

# Nothing the packages install may start a service in the root.
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod 755 "$ROOT/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
# The servers in the root name loopback "localhost" (ejabberdctl reaches its node as
# NAME@localhost); debootstrap leaves no /etc/hosts.
if ! grep -qs '^127\.0\.0\.1[[:space:]].*localhost' "$ROOT/etc/hosts"; then
	say "writing $ROOT/etc/hosts (localhost)"
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >>"$ROOT/etc/hosts"
fi

for fs in proc dev; do
	if ! mountpoint -q "$ROOT/$fs"; then
		if [ "$fs" = proc ]; then
			mount -t proc proc "$ROOT/proc"
		else
			mount --bind /dev "$ROOT/dev"
		fi
		mounted="$ROOT/$fs $mounted"
	fi
done

say "apt-get update (in the root)"
chroot "$ROOT" apt-get update -q
say "apt-get install $PACKAGES (in the root, about 60 s)"
chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $PACKAGES
chroot "$ROOT" apt-get clean

# A process whose root is the chroot was started by this installation
# (policy-rc.d should have prevented it): stop it by its pid.
for p in /proc/[0-9]*; do
	r=$(readlink "$p/root" 2>/dev/null) || continue
	if [ "$r" = "$ROOT" ]; then
		pid=${p#/proc/}
		say "stopping pid $pid left running in the root: $(tr '\0' ' ' <"$p/cmdline")"
		kill "$pid" 2>/dev/null || true
	fi
done

printf '%s' "$LAYOUT $PACKAGES" >"$MARKER"
say "prosody $(chroot "$ROOT" dpkg-query -W -f='${Version}' prosody), ejabberd $(chroot "$ROOT" dpkg-query -W -f='${Version}' ejabberd)"
say "done in $(elapsed): $ROOT is ready"
