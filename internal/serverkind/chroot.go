package serverkind

import (
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// enterScript runs as `sh -c enterScript sh ROOT N BIND... CMD ARG...` in a new, private
// mount namespace (unshare -m): it mounts a fresh /tmp, /proc and /dev in ROOT, binds each
// BIND directory at the same path inside ROOT (so the configuration and data paths the
// harness wrote are the server's paths too), then chroots. The mounts belong to the
// namespace and vanish with its last process: nothing is left mounted when the server
// stops, however it stops. Loopback is shared (no network namespace).
const enterScript = `set -e
root=$1; n=$2; shift 2
mount -t tmpfs tmpfs "$root/tmp"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
while [ "$n" -gt 0 ]; do
	mkdir -p "$root$1"
	mount --bind "$1" "$root$1"
	n=$((n-1)); shift
done
exec chroot "$root" "$@"`

// Command returns a command that runs name with args inside root, with the directories of
// binds (absolute paths) mounted at their own paths. root "" runs name on the host. Paths
// outside /tmp leave empty mount-point directories in root; those under /tmp land in the
// namespace's own /tmp.
func Command(ctx context.Context, root string, binds []string, name string, args ...string) *exec.Cmd {
	if root == "" {
		return exec.CommandContext(ctx, name, args...)
	}
	all := []string{"-m", "--propagation", "private", "sh", "-c", enterScript, "sh", root, strconv.Itoa(len(binds))}
	for _, b := range binds {
		all = append(all, filepath.Clean(b))
	}
	all = append(all, name)
	all = append(all, args...)
	return exec.CommandContext(ctx, "unshare", all...)
}

// InRoot returns the paths inside root that match pattern (a filepath.Glob pattern of a path
// as the root sees it), as the root sees them.
func InRoot(root, pattern string) []string {
	matches, _ := filepath.Glob(filepath.Join(root, pattern))
	for i, m := range matches {
		matches[i] = "/" + strings.TrimPrefix(strings.TrimPrefix(m, filepath.Clean(root)), "/")
	}
	return matches
}
