"""What the runner writes when things go wrong: a reset acts only on what it read under the
row's lock (two sweepers, or a sweep and a run's own result, never both apply to one
execution: platform/runner/workers.py), and a result the database refuses fails alone."""

import threading

import pytest
from django.db import connection, transaction

from faas.models import Execution, Service
from faas.services.executions import execution_create, execution_reset, executions_claim
from runner import replicas
from runner.dispatcher import Dispatcher
from runner.replicas import STDERR_LINE, ReplicaProcess
from tests.faas.test_validation import owner, push  # noqa: F401 - owner is a fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def _service(owner) -> Service:  # noqa: F811
    client, project = owner
    package = push(client, project).json()
    created = client.post(f"/api/projects/{project.id}/services/", {"name": "svc", "packageId": package["id"]})
    return Service.objects.get(pk=created.json()["id"])


def test_a_reset_waits_for_a_concurrent_change_and_then_leaves_the_execution_alone(owner):  # noqa: F811
    if connection.vendor != "postgresql":
        pytest.skip("a row lock is PostgreSQL's; SQLite's writers already take turns (BEGIN IMMEDIATE)")
    service = _service(owner)
    execution = execution_create(service=service, function_name="count", input={"n": 1})
    assert executions_claim(service=service, limit=1, holder="w1", only=[execution.pk])

    locked, release = threading.Event(), threading.Event()

    def result_written_meanwhile():
        # What a result (or another sweeper) does to the row while this reset reads it.
        try:
            with transaction.atomic():
                row = Execution.objects.select_for_update().get(pk=execution.pk)
                locked.set()
                release.wait(5)
                row.status, row.message, row.holder = "success", "done", ""
                row.save()
        finally:
            connection.close()

    other = threading.Thread(target=result_written_meanwhile)
    other.start()
    assert locked.wait(5)
    threading.Timer(0.3, release.set).start()
    assert execution_reset(execution_id=execution.pk, holder="w1", reason="Its worker stopped answering.") is None
    other.join(10)
    ended = Execution.objects.get(pk=execution.pk)
    assert (ended.status, ended.message) == ("success", "done")


def test_a_result_the_database_refuses_fails_alone_and_the_others_are_written(owner):  # noqa: F811
    service = _service(owner)
    dispatcher = Dispatcher(name="finishing")
    first, second = (execution_create(service=service, function_name="count", input={"n": n}) for n in (1, 2))
    claimed = executions_claim(service=service, limit=2, holder=dispatcher.worker_id, only=[first.pk, second.pk])
    assert len(claimed) == 2
    # A lone surrogate no database driver encodes (the replica channel's clean() removes
    # them; this is the guard behind it): one refused result must not hold the others.
    refused = {"id": first.pk, "status": "success", "output": None, "message": "\ud800"}
    dispatcher._finish([refused, {"id": second.pk, "status": "success", "output": 2, "message": ""}])
    failed, written = Execution.objects.get(pk=first.pk), Execution.objects.get(pk=second.pk)
    assert failed.status == "failed" and "could not be stored" in failed.message
    assert (written.status, written.output) == ("success", 2)


def test_a_run_held_in_the_database_that_its_dispatcher_lost_track_of_follows_on_reset(owner):  # noqa: F811
    # A database error in the middle of a reset or a hand-out can leave a run held by a live
    # dispatcher that no longer runs it; nobody else would reset it while its lease lives.
    service = _service(owner)
    dispatcher = Dispatcher(name="reconciling")
    lost, pending = (execution_create(service=service, function_name="count", input={"n": n}) for n in (1, 2))
    assert len(executions_claim(service=service, limit=2, holder=dispatcher.worker_id, only=[lost.pk, pending.pk]))
    dispatcher.results = [{"id": pending.pk, "status": "success", "output": 2, "message": ""}]  # not yet written
    dispatcher._reconcile()
    reset, untouched = Execution.objects.get(pk=lost.pk), Execution.objects.get(pk=pending.pk)
    assert reset.status == "failed" and "database error" in reset.message
    assert untouched.status == "in-progress"


def test_a_long_stderr_line_is_never_cut_inside_a_secret():
    # What drain_stderr writes of a line too long to wait for ends before any secret that
    # would straddle the cut: redaction sees each secret whole, in one write or the next.
    replica = ReplicaProcess.__new__(ReplicaProcess)  # only its secrets matter here
    replica.secret_values = ["hunter2-secret", "token-abc"]
    for offset in range(-20, 5):
        line = bytearray(b"x" * (STDERR_LINE + offset) + b"hunter2-secret" + b"token-abc" + b"y" * 3)
        cut = replica._cut_between_secrets(line)
        for secret in (b"hunter2-secret", b"token-abc"):
            start = line.find(secret)
            assert not (start < cut < start + len(secret)), (offset, cut)
        assert cut <= len(line) - len(b"hunter2-secret")


def test_a_services_log_stops_at_its_limit_with_one_line_saying_so(tmp_path, monkeypatch):
    monkeypatch.setattr(replicas, "SERVICE_LOG_LIMIT", 10_000)
    replica = ReplicaProcess.__new__(ReplicaProcess)
    replica.log, replica._log_full = open(tmp_path / "service.log", "ab"), False
    for _ in range(5):
        replica._write_log(b"x" * 4000)
    replica.log.close()
    written = (tmp_path / "service.log").read_bytes()
    assert written.startswith(b"x" * 8000) and written.count(b"x" * 4000) == 2
    assert written.endswith(b"what this replica writes from now on is dropped.\n")
    assert len(written) < 10_000
