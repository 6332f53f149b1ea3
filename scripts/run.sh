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
# The socket's group, as the package's sysusers.d entry would create it.
getent group dnsleak >/dev/null || "${as_root[@]}" groupadd --system dnsleak
echo "dnsleakd: starting on config/dnsleakd.yaml; in another terminal try: build/dnsleakctl status"
exec "${as_root[@]}" build/dnsleakd --config config/dnsleakd.yaml "$@"
