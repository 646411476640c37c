#!/usr/bin/env bash
# The whole suite on SQLite, as two pytest processes at once: the scale-out tests (which
# mostly wait on leases, brokers and workers in other network namespaces) beside the
# rest. Each prints its own report; the run fails if either does.
set -u
cd "$(dirname "$0")/.."
mkdir -p test-artifacts
log=test-artifacts/scaleout.log
.venv/bin/pytest tests/scaleout "$@" >"$log" 2>&1 &
scaleout=$!
.venv/bin/pytest --ignore=tests/scaleout "$@"
rest=$?
wait "$scaleout"
scaled=$?
echo
echo "== the scale-out tests (tests/scaleout), run beside the rest:"
cat "$log"
# pytest's 5 means "no tests collected": that is a failure here as well.
[ "$rest" -eq 0 ] && [ "$scaled" -eq 0 ]
