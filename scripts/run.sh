#!/usr/bin/env bash
# Installs what is missing, builds, and runs dnsleakd in the foreground on
# the bundled config/dnsleakd.yaml, capturing live on every interface.
# Capturing and the socket under /run need root: the daemon runs via sudo
# when this script is not root. Stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh

as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
# The daemon's user and the socket's group, as the package creates them:
# started as root, dnsleakd runs as that user with only the capabilities
# it needs.
if ! getent passwd dnsleak >/dev/null; then
  "${as_root[@]}" systemd-sysusers packaging/dnsleak.sysusers
fi
echo "dnsleakd: starting on config/dnsleakd.yaml; in another terminal try: build/dnsleakctl status"
exec "${as_root[@]}" build/dnsleakd --config config/dnsleakd.yaml "$@"
