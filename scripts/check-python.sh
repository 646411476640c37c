#!/usr/bin/env bash
# Dataslot needs CPython 3.11 or newer with venv; say so plainly when it is missing.
set -eu
py=${1:-python3}
if ! command -v "$py" >/dev/null 2>&1; then
  echo "error: $py not found. Install Python 3.11+ (Debian: apt-get install python3 python3-venv)." >&2
  exit 1
fi
if ! "$py" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "error: Dataslot needs Python 3.11 or newer; $py is $("$py" --version 2>&1)." >&2
  exit 1
fi
if ! "$py" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq python3-venv
  else
    echo "error: $py lacks venv/ensurepip. Install it (Debian: apt-get install python3-venv)." >&2
    exit 1
  fi
fi
