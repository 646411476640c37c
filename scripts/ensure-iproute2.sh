#!/usr/bin/env bash
# The scale-out tests run workers as separate hosts in network namespaces made with iproute2's `ip`.
set -eu
if command -v ip >/dev/null || [ -x /usr/sbin/ip ] || [ -x /sbin/ip ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's iproute2 for the scale-out tests..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 >/dev/null
  exit 0
fi
# Not fatal: without `ip` (or root) the scale-out tests skip and say why.
echo "note: iproute2's ip is missing and cannot be installed here; the scale-out tests will be skipped." >&2
