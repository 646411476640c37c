"""The statements on every execution's path (its creation, claim and result), on PostgreSQL:
each is prepared once per connection (planned once, not every time), and a created
execution is on disk before its request is answered, although its own commit does not
wait for the disk (faas/services/executions.py, ``execution_create``)."""

import pytest
from django.db import connection, transaction

from faas.enums import ExecutionStatus
from faas.models import Execution
from faas.services import executions as executions_module
from faas.services.executions import execution_create, executions_claim, executions_finish
from tests.faas.test_runner_writes import _service
from tests.faas.test_validation import owner  # noqa: F401 - a fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements and the WAL's flush are PostgreSQL's")


def _run_one(service) -> Execution:
    execution = execution_create(service=service, function_name="count", input={"n": 1})
    assert executions_claim(service=service, limit=1, holder="w1", only=[execution.pk])
    (finished,) = executions_finish(holder="w1", results=[{"id": execution.pk, "status": "success", "output": 2}])
    assert finished.status == ExecutionStatus.SUCCESS
    return execution


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        return [row[0] for row in cursor.fetchall()]


def test_the_statements_on_every_executions_path_are_prepared_once_per_connection(owner, postgres):  # noqa: F811
    service = _service(owner)
    _run_one(service)
    prepared = _prepared()
    assert any(s.startswith('INSERT INTO "faas_execution"') for s in prepared), prepared
    assert any(s.startswith("UPDATE faas_execution SET status = $1, attempts = attempts + 1") for s in prepared)
    assert any(s.startswith("UPDATE faas_execution SET status = $1, output = $2") for s in prepared), prepared
    # Run again: the same statements, none prepared anew; the ORM's own are never prepared.
    _run_one(service)
    assert Execution.objects.filter(service=service).count() == 2
    assert sorted(_prepared()) == sorted(prepared)
    assert not any("count(" in s.lower() for s in _prepared())


def test_a_created_execution_is_on_disk_before_execution_create_returns(owner, postgres, monkeypatch):  # noqa: F811
    service = _service(owner)
    inserted = []
    insert = executions_module._insert_batch

    def insert_and_note(*args, **kwargs):
        rows = insert(*args, **kwargs)
        with connection.cursor() as cursor:
            # Its commit is in the WAL by now; not necessarily on disk (it did not wait).
            cursor.execute("SELECT pg_current_wal_insert_lsn()::text, current_setting('synchronous_commit')")
            inserted.append(cursor.fetchone())
        return rows

    monkeypatch.setattr(executions_module, "_insert_batch", insert_and_note)
    for _ in range(5):
        execution_create(service=service, function_name="count", input={"n": 1})
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_flush_lsn() >= %s::pg_lsn", [inserted[-1][0]])
            assert cursor.fetchone()[0], "execution_create returned before the execution's row was on disk"
    # Committing without waiting was the insert's own transaction's setting, not the session's.
    assert {setting for _, setting in inserted} == {"on"}
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"


def test_inside_a_callers_transaction_the_commit_waits_for_the_disk_as_usual(owner, postgres):  # noqa: F811
    service = _service(owner)
    with transaction.atomic():
        execution = execution_create(service=service, function_name="count", input={"n": 1})
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"
    assert Execution.objects.get(pk=execution.pk).status == ExecutionStatus.CREATED
