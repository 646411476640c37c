#!/usr/bin/env bash
# The whole suite, as two chains of pytest processes at once: the scale-out tests (which
# mostly wait on leases, brokers and workers in other network namespaces) with the API's
# fuzz test and a few long tests that start servers of their own (BESIDE), and then the
# database suites on PostgreSQL (scripts/test-postgres.sh), beside everything else on
# SQLite (the two chains take about as long). Each prints its own report; the run fails if
# any does.
set -u
cd "$(dirname "$0")/.."
mkdir -p test-artifacts
log=test-artifacts/scaleout-and-postgres.log
BESIDE=(tests/scaleout tests/test_api_fuzz.py tests/faas/test_restart.py tests/faas/test_postgres_and_redis.py tests/sdk/test_install.py)
(
  .venv/bin/pytest "${BESIDE[@]}" "$@"
  scaled=$?
  echo
  echo "== the database suites on PostgreSQL (scripts/test-postgres.sh):"
  scripts/test-postgres.sh "$@"
  postgres=$?
  # pytest's 5 means "no tests collected": that is a failure here as well.
  [ "$scaled" -eq 0 ] && [ "$postgres" -eq 0 ]
) >"$log" 2>&1 &
beside=$!
.venv/bin/pytest "${BESIDE[@]/#/--ignore=}" "$@"
rest=$?
wait "$beside"
besides=$?
echo
echo "== run beside the rest: ${BESIDE[*]}, then the PostgreSQL suites:"
cat "$log"
[ "$rest" -eq 0 ] && [ "$besides" -eq 0 ]
