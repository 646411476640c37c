"""The statements on every execution's path (its creation, claim and result), on PostgreSQL:
each is prepared once per connection (planned once, not every time), and a created
execution is on disk before its request is answered, although its own commit does not
wait for the disk (faas/services/executions.py, ``execution_create``)."""

import threading

import pytest
from django.db import connection, transaction

from faas import executor as executor_module
from faas.enums import ExecutionStatus
from faas.errors import Unavailable
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
    if connection.connection is None:
        connection.ensure_connection()
    if connection.connection.prepare_threshold is None:
        pytest.skip("preparing is off here (DATASLOT_DB_PREPARED=0)")
    service = _service(owner)
    _run_one(service)
    assert _prepared() == []  # a statement run once on a connection is not prepared
    _run_one(service)
    prepared = _prepared()
    assert any(s.startswith('INSERT INTO "faas_execution"') for s in prepared), prepared
    assert any(s.startswith("UPDATE faas_execution SET status = $1, attempts = attempts + 1") for s in prepared)
    assert any(s.startswith("UPDATE faas_execution SET status = $1, output = $2") for s in prepared), prepared
    assert any("pg_logical_emit_message" in s for s in prepared), prepared
    # Again: the same statements, none prepared anew; the ORM's own are never prepared.
    _run_one(service)
    assert Execution.objects.filter(service=service).count() == 3
    assert sorted(_prepared()) == sorted(prepared)
    assert not any("count(" in s.lower() for s in _prepared())
    # Planned once: after five runs PostgreSQL keeps a generic plan, unless it would cost
    # more than planning each time (as an id list's would, walking the queue's index, on a
    # table of many finished executions).
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO faas_execution (project_id, service_id, package_revision, function_name, input, status,"
            " status_log, percent_complete, message, attempts, max_attempts, to_terminate, post_action, holder,"
            " created_at, updated_at) SELECT project_id, service_id, package_revision, function_name, input,"
            " 'success', '[]', 100, '', 1, 1, false, '', '', now(), now()"
            " FROM faas_execution, generate_series(1, 20000) WHERE id = %s",
            [Execution.objects.filter(service=service).values_list("id", flat=True).first()],
        )
        cursor.execute("ANALYZE faas_execution")
    for _ in range(6):
        _run_one(service)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans FROM pg_prepared_statements WHERE NOT from_sql")
        plans = dict(cursor.fetchall())
    claim = next(s for s in plans if s.startswith("UPDATE faas_execution SET status = $1, attempts"))
    assert plans[claim] >= 1, plans


def test_a_migration_that_changes_a_returned_column_does_not_break_prepared_statements(owner, postgres):  # noqa: F811
    """PostgreSQL refuses a statement prepared before a column it returns changed type, on
    every run; another host's ``migrate`` must not stop this one claiming and finishing."""
    service = _service(owner)
    _run_one(service)
    _run_one(service)

    def migrate(sql):  # another connection, as another host's migration would be
        def run():
            try:
                with connection.cursor() as cursor:
                    cursor.execute(sql)
            finally:
                connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        thread.join()

    migrate("ALTER TABLE faas_execution ALTER COLUMN holder TYPE varchar(100)")
    try:
        execution = _run_one(service)
        assert Execution.objects.get(pk=execution.pk).status == ExecutionStatus.SUCCESS
    finally:
        migrate("ALTER TABLE faas_execution ALTER COLUMN holder TYPE varchar(64)")


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


def _kill_this_connection_at_publish(monkeypatch, also=None):
    """At the moment the new execution's message is published, the request's database
    connection dies (a cut network, a failover): ``also(execution_id)`` runs first."""
    pid = connection.connection.info.backend_pid

    def publish(execution_ids, service=None):
        def kill():
            try:
                with connection.cursor() as cursor:
                    if also is not None:
                        also(cursor, execution_ids[0])
                    cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            finally:
                connection.close()

        thread = threading.Thread(target=kill)
        thread.start()
        thread.join()

    monkeypatch.setattr(executor_module, "enqueue", publish)


def test_a_connection_lost_while_waiting_for_the_flush_still_creates_the_execution(owner, postgres, monkeypatch):  # noqa: F811
    service = _service(owner)
    _kill_this_connection_at_publish(monkeypatch)
    execution = execution_create(service=service, function_name="count", input={"n": 1})
    assert Execution.objects.get(pk=execution.pk).status == ExecutionStatus.CREATED


# Standing in for a database that restarted without the unflushed row: gone, or its id
# given again to another execution (a sequence's values not on disk are given again).
LOST = {
    "gone": "DELETE FROM faas_execution WHERE id = %s",
    "its-id-reused": "UPDATE faas_execution SET created_at = created_at - interval '1 second' WHERE id = %s",
}


@pytest.mark.parametrize("lost", LOST)
def test_an_execution_the_database_lost_before_its_flush_is_refused_with_503(owner, postgres, monkeypatch, lost):  # noqa: F811
    service = _service(owner)
    _kill_this_connection_at_publish(monkeypatch, also=lambda cursor, eid: cursor.execute(LOST[lost], [eid]))
    with pytest.raises(Unavailable, match="it was not created"):
        execution_create(service=service, function_name="count", input={"n": 1})
