#!/usr/bin/env bash
# Runs the tests marked `postgres` against a PostgreSQL server, or says plainly why not.
# The server is $DATASLOT_TEST_POSTGRES_URL (default: postgres@127.0.0.1:5432, trust auth);
# pytest-django creates and drops its own test_<name> database there.
set -eu
cd "$(dirname "$0")/.."
url=${DATASLOT_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}

if ! reason=$(.venv/bin/python - "$url" 2>&1 <<'PY'
import sys

try:
    import psycopg
except ImportError as error:
    sys.exit(f"psycopg is not installed in .venv ({error})")
try:
    psycopg.connect(sys.argv[1], connect_timeout=3).close()
except Exception as error:
    sys.exit(f"cannot connect: {str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__}")
PY
); then
  echo "SKIPPED the PostgreSQL run: ${reason:-cannot run .venv/bin/python}"
  exit 0
fi

DATABASE_URL=$url exec .venv/bin/pytest -m postgres "$@"
