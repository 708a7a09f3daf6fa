#!/usr/bin/env bash
# What `make coverage` needs on the host, installed only where missing (idempotent):
# strace and the tools the static analysis uses (apt-get download, dpkg-deb), plus the servers
# and clients its dynamic workloads (images/coverage/workloads/*.sh) run under strace.
# Services are not started by the install where /usr/sbin/policy-rc.d forbids it (containers);
# the workloads start their own instances on loopback ports and stop them.
set -euo pipefail
PACKAGES=(
    strace dpkg-dev fonts-dejavu-core gcc musl-tools
    redis-server redis-tools nginx memcached lighttpd webfs weborf sqlite3
    python3 perl bash curl git coreutils busybox-static mini-httpd postgresql-15 postgresql-client-15
)
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "coverage-setup: installing ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
