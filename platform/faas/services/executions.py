"""Every change of an execution's state happens here, inside a transaction, and its
live event is sent only after commit (one place changes state; the event cannot run
ahead of the data).

Request-side actions: create, create in batch, terminate, rerun. Runner-side
transitions: claim, progress, logs, finish, reset (``on_reset``).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import nullcontext

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from faas import executor
from faas.enums import ExecutionStatus, OnResetAction
from faas.errors import Conflict, Unavailable
from faas.inputs import normalise_input
from faas.models import Execution, ExecutionLog, Service
from faas.representations import execution_json, log_line_json
from live.events import execution_logs_group, project_group, publish, publish_on_commit

RUNNING = ExecutionStatus.IN_PROGRESS
CREATED = ExecutionStatus.CREATED


def _log_entry(status: str, message: str = "", now=None) -> dict:
    return {"status": status, "timestamp": (now or timezone.now()).isoformat(), "message": message}


def announce(execution: Execution) -> None:
    publish_on_commit(project_group(execution.project_id), execution_event(execution))


def execution_event(execution: Execution) -> dict:
    """The live event of an execution's state; ``final``: live.events sends it without waiting
    for the tick (it knows no statuses: they are this app's vocabulary)."""
    return {"type": "execution", "execution": execution_json(execution), "final": execution.finished}


def function_for(service: Service, function_name: str | None) -> dict:
    revision = service.package.revisions.filter(version=service.package_revision).first()
    if revision is None:
        raise Conflict(
            f"Service '{service.name}' runs package revision {service.package_revision}, which no longer exists."
        )
    module = revision.module(service.module_name)
    if module is None:
        raise ValidationError({"moduleName": f"Revision {revision.version} has no module '{service.module_name}'."})
    if not function_name:
        if not module["functions"]:
            raise ValidationError({"functionName": f"Module '{module['name']}' has no functions."})
        return module["functions"][0]
    function = revision.function(service.module_name, function_name)
    if function is None:
        raise ValidationError({"functionName": f"Module '{module['name']}' has no function '{function_name}'."})
    return function


def _new(service: Service, function: dict, input: dict, user, now, trigger=None, post_action="") -> Execution:
    return Execution(
        project_id=service.project_id,
        service=service,
        package_revision=service.package_revision,
        function_name=function["name"],
        input=input,
        status=CREATED,
        status_log=[_log_entry(CREATED, now=now)],
        max_attempts=service.max_attempts if service.on_reset == OnResetAction.RERUN else 1,
        creator=user if user is not None and user.is_authenticated else None,
        trigger=trigger,
        enqueued_at=now,
        published_at=now,
        post_action=post_action,
    )


def execution_create(
    *,
    service: Service,
    function_name: str | None = None,
    input: dict | None = None,
    user=None,
    require_active: bool = False,
) -> Execution:
    """Queue one execution. The API queues on a paused service too (it runs on resume);
    a slot click passes ``require_active`` and is refused with 409."""
    if require_active and not service.active:
        raise Conflict(f"Service '{service.name}' is paused.")
    function = function_for(service, function_name)
    now = timezone.now()
    input = normalise_input(project=service.project, function=function, input=input)
    # One INSERT: no transaction of its own (a COMMIT is a round trip on every execution's
    # path). Inside a caller's transaction, its event and message still wait for the commit.
    # Outside one, on PostgreSQL, the row is committed without waiting for the disk, so that
    # its message goes out a flush sooner; the request waits for the flush before it answers.
    # A worker's claim of it commits after it, so that commit's flush covers it too: nothing
    # runs an execution that a crash of the database could lose, and the request that
    # created it does not say it exists. (Other readers may see it a flush earlier, and its
    # `created` event goes first, so that it is in the live stream before what follows.)
    unflushed = connection.vendor == "postgresql" and not connection.in_atomic_block
    template = _new(service, function, {}, user, now)
    if connection.features.can_return_rows_from_bulk_insert:
        (execution,) = _insert_batch(template, [input], prepared=True, unflushed=unflushed)
    else:
        template.input = input
        template.save()
        execution, unflushed = template, False
    announce(execution)
    executor.enqueue_on_commit([execution.id], service=service)
    if unflushed:
        _flush_wal(execution)
    return execution


# A transactional WAL message: its commit waits for the WAL up to it to be on disk, like a
# write's. (``pg_current_xact_id()`` would not: a transaction that wrote nothing is not
# flushed.) Logical decoding consumers see it under the prefix ``dataslot.flush``.
_FLUSH_WAL = "SELECT pg_logical_emit_message(true, 'dataslot.flush', '')"


def _flush_wal(execution: Execution) -> None:
    """Wait until the execution's row, committed without waiting for the disk, is on it.
    A connection that fails meanwhile (a cut network, a failover) is replaced and asked
    again: a commit that waits for the disk waits for everything committed before it. The
    row is then looked for: a database that restarted without it loses nothing anyone was
    told of, and the request says so (503); the worker that takes its message finds nothing
    to run."""
    try:
        _rows(_FLUSH_WAL, [])
        return
    except (OperationalError, InterfaceError):
        connection.close()
    try:
        _rows(_FLUSH_WAL, [])
        # Its own row: after a crash, the id of a row that was never on disk is given again.
        stored = Execution.objects.filter(pk=execution.pk, created_at=execution.created_at).exists()
    except (OperationalError, InterfaceError):
        raise Unavailable(
            f"The database did not confirm that execution {execution.pk} was stored: look it up before trying again."
        ) from None
    if not stored:
        raise Unavailable("The database restarted before the execution was stored: it was not created. Try again.")


def _insert_batch(
    template: Execution, inputs: list[dict], *, prepared: bool = False, unflushed: bool = False
) -> list[Execution]:
    """The batch's rows, all like ``template`` but for their input, in multi-row
    ``INSERT … RETURNING id`` statements whose other columns are converted once.
    (``bulk_create`` converts every field of every row: about 1 ms an execution, so
    ``execute_batch`` over 100k items took minutes.) Rows come back as instances that
    share the template's loaded service, creator and trigger.

    ``prepared``: one execution, on every execution's path (``_rows``). ``unflushed``
    (PostgreSQL, outside a transaction: the statement's own): committed without waiting
    for the disk; the caller then waits with ``_flush_wal``."""
    if unflushed and connection.in_atomic_block:
        raise RuntimeError("an unflushed insert would make its caller's whole transaction commit unflushed")
    fields = [f for f in Execution._meta.concrete_fields if not f.primary_key]
    for field in fields:  # created_at / updated_at, once for the batch
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            field.pre_save(template, add=True)
    values = [getattr(template, f.attname) for f in fields]
    converted = [f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)]
    input_field = Execution._meta.get_field("input")
    at = fields.index(input_field)
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(Execution._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES "
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    size = max(1, min(1000, connection.ops.bulk_batch_size(fields, inputs)))
    ids = []
    adapt, encoder = connection.ops.adapt_json_value, input_field.encoder  # what JSONField does for a dict
    returning = quote(Execution._meta.pk.column)
    if unflushed:  # in RETURNING: for this statement's own transaction only
        returning += ", set_config('synchronous_commit', 'off', true)"
    for start in range(0, len(inputs), size):
        chunk = inputs[start : start + size]
        params = []
        for input in chunk:
            converted[at] = adapt(input, encoder)
            params.extend(converted)
        sql = head + ", ".join([row_sql] * len(chunk)) + f" RETURNING {returning}"
        if prepared:
            rows = _rows(sql, params)
        else:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                rows = cursor.fetchall()
        ids.extend(row[0] for row in rows)
    related = [f for f in fields if f.is_relation and f.is_cached(template)]
    executions = []
    mutable = [i for i, v in enumerate(values) if isinstance(v, list | dict) and i != at]
    for pk, input in zip(ids, inputs, strict=True):
        values[at] = input
        for i in mutable:  # e.g. the status log: each execution's own list
            values[i] = type(values[i])(values[i])
        execution = Execution(pk, *values)  # positional: Django's fast path, as rows read from the database
        execution._state.adding, execution._state.db = False, connection.alias
        for field in related:
            field.set_cached_value(execution, field.get_cached_value(template))
        executions.append(execution)
    return executions


def executions_create_batch(
    *,
    service: Service,
    function_name: str | None,
    inputs: Iterable[dict],
    user=None,
    require_active: bool = False,
    trigger=None,
    post_action: str = "",
    function: dict | None = None,
) -> list[Execution]:
    """Queue many executions in one transaction; inputs are already normalised references.
    ``trigger``: the trigger that queued them (faas/services/trigger_events.py, trigger_schedule.py); ``post_action``:
    the clicked slot's (faas/services/slots.py); ``function``: ``function_for(service,
    function_name)`` when the caller has already looked it up."""
    if require_active and not service.active:
        raise Conflict(f"Service '{service.name}' is paused.")
    if function is None:
        function = function_for(service, function_name)
    now = timezone.now()
    with transaction.atomic():
        inputs = list(inputs)
        if connection.features.can_return_rows_from_bulk_insert:
            executions = _insert_batch(_new(service, function, {}, user, now, trigger, post_action), inputs)
        else:
            executions = Execution.objects.bulk_create(
                [_new(service, function, input, user, now, trigger, post_action) for input in inputs], batch_size=500
            )
        # One commit hook for the batch's events, not one an execution (100k took seconds).
        group = project_group(service.project_id)
        transaction.on_commit(lambda: [publish(group, execution_event(e)) for e in executions])
        executor.enqueue_on_commit([e.id for e in executions], service=service)
    return executions


def _locked(execution: Execution) -> Execution:
    """The execution read again, its row locked until the transaction ends (with what its
    live event names)."""
    return (
        Execution.objects.select_for_update(of=("self",))
        .select_related("service", "creator", "worker")
        .get(pk=execution.pk)
    )


def execution_terminate(*, execution: Execution, user=None) -> Execution:
    """A queued execution ends at once and never runs; a running one is asked to stop
    (``kill_event()`` raises in it; after the grace period its replica is killed)."""
    now = timezone.now()
    with transaction.atomic():
        execution = _locked(execution)
        if execution.finished:
            raise Conflict(f"Execution {execution.pk} has already finished ({execution.status}).")
        if execution.status == CREATED:
            execution.status = ExecutionStatus.TERMINATED
            execution.to_terminate = True
            execution.finished_at = now
            execution.message = "Terminated before it started."
            execution.status_log.append(_log_entry(ExecutionStatus.TERMINATED, execution.message, now))
        else:
            if execution.to_terminate:
                return execution
            execution.to_terminate = True
            execution.status_log.append(_log_entry(RUNNING, "Termination requested.", now))
        execution.save()
        announce(execution)
        transaction.on_commit(executor.notify)
    return execution


def execution_rerun(*, execution: Execution, user=None) -> Execution:
    """Queue a finished execution again under the same id, with the same input."""
    now = timezone.now()
    with transaction.atomic():
        execution = _locked(execution)
        if not execution.finished:
            raise Conflict(f"Execution {execution.pk} is still {execution.status}; only a finished one can rerun.")
        service = execution.service
        execution.status = CREATED
        execution.package_revision = service.package_revision
        execution.output = None
        execution.to_terminate = False
        execution.percent_complete = 0
        execution.message = ""
        execution.attempts = 0
        execution.max_attempts = service.max_attempts if service.on_reset == OnResetAction.RERUN else 1
        execution.started_at = execution.finished_at = None
        execution.enqueued_at = execution.published_at = now
        execution.status_log.append(_log_entry(CREATED, "Rerun requested.", now))
        execution.save()
        announce(execution)
        executor.enqueue_on_commit([execution.id], service=service)
    return execution


# --- runner-side transitions -------------------------------------------------------


def executions_claim(
    *, service: Service, limit: int, holder: str, only: Iterable[int] | None = None, note: str = ""
) -> list[Execution]:
    """Move up to ``limit`` queued executions of a service to in-progress, oldest first.

    ``only``: claim none but these (a scale-out worker claims exactly the executions its
    messages named). ``note``: said in the claimed executions' status log (e.g. a cold
    start). One conditional ``UPDATE … RETURNING`` (a claim is on every execution's path:
    one round trip, not a locking read, a write and a commit): a row still ``created`` of
    an active service is taken, so two dispatchers never both claim one execution.
    """
    queued = _queued(service, limit, only)
    if queued is None:
        return []
    which, which_params = queued
    now, worker = timezone.now(), _worker(holder)
    attempt = "'Attempt ' || (attempts + 1) || '. ' || %s"
    sql = (
        f"UPDATE {_TABLE} SET status = %s, attempts = attempts + 1, started_at = %s, finished_at = NULL,"
        f" holder = %s, worker_id = %s, updated_at = %s, status_log = {_log_append(attempt, trim=True)}"
        f" WHERE {which} AND EXISTS (SELECT 1 FROM {Service._meta.db_table} WHERE id = %s AND active)"
    )
    at = _db_time(now)
    params = [RUNNING, at, holder, worker.pk if worker else None, at, RUNNING, now.isoformat(), note]
    params += [*which_params, service.id]
    return _taken_from_queue(_updated_rows(sql, params), service, worker)


_TABLE = Execution._meta.db_table


def _taken_from_queue(executions: list[Execution], service: Service, worker) -> list[Execution]:
    """Rows a claim or a fail took from the service's queue, oldest first, announced."""
    executions.sort(key=lambda e: e.id)
    for execution in executions:
        execution.service = service
        execution.worker = worker
        _attach_creator(execution)
        announce(execution)
    return executions


def _queued(service: Service, limit: int, only: Iterable[int] | None) -> tuple[str, list] | None:
    """A condition (and its parameters) naming the queued executions of the service that a
    claim or a fail takes: ``only`` these, or the oldest; None when ``only`` names none."""
    if only is not None:
        only = [int(eid) for eid in only][:limit]
        if not only:
            return None
        # "+ 0": the ids lead the plan. On the (service, status) index, PostgreSQL would walk
        # the entries of every execution of the service that left the queue since the last
        # vacuum (a third of a claim's time, and growing under load).
        if len(only) == 1:
            return "id = %s AND service_id + 0 = %s AND status = %s", [only[0], service.id, CREATED]
        if connection.vendor == "postgresql":
            # One prepared statement for any number of ids. (PostgreSQL plans it each time:
            # its generic plan would walk the queue's index; one id, the common case, is above.)
            return "id = ANY(%s) AND service_id + 0 = %s AND status = %s", [only, service.id, CREATED]
        ids = ", ".join(["%s"] * len(only))
        return f"id IN ({ids}) AND service_id + 0 = %s AND status = %s", [*only, service.id, CREATED]
    # Oldest first; on PostgreSQL rows another claimer holds are skipped, not waited for.
    lock = " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    which = (
        f"id IN (SELECT id FROM {_TABLE} WHERE service_id = %s AND status = %s ORDER BY id LIMIT %s{lock})"
        " AND service_id = %s AND status = %s"
    )
    return which, [service.id, CREATED, int(limit), service.id, CREATED]


def executions_fail_queued(
    *, service: Service, limit: int, holder: str, message: str, only: Iterable[int] | None = None
) -> list[Execution]:
    """Fail up to ``limit`` queued executions of a service that cannot run (it broke, or
    this worker cannot run it), oldest first or ``only`` these: one conditional ``UPDATE``
    from ``created``, counting no attempt (none ran)."""
    queued = _queued(service, limit, only)
    if queued is None:
        return []
    which, which_params = queued
    now, worker = timezone.now(), _worker(holder)
    message = message[:2000]
    sql = (
        f"UPDATE {_TABLE} SET status = %s, message = %s, finished_at = %s, updated_at = %s, holder = %s,"
        f" worker_id = %s, status_log = {_log_append('%s')}"
        f" WHERE {which}"
    )
    at = _db_time(now)
    failed = ExecutionStatus.FAILED
    params = [failed, message, at, at, holder, worker.pk if worker else None, failed, now.isoformat(), message]
    params += which_params
    return _taken_from_queue(_updated_rows(sql, params), service, worker)


def _log_append(message_sql: str, *, trim: bool = False) -> str:
    """SQL that appends ``{status, timestamp, message}`` (``_log_entry``'s shape) to
    ``status_log``; its placeholders take the status, the ISO timestamp, then what
    ``message_sql`` needs."""
    if connection.vendor == "postgresql":
        message = f"btrim({message_sql})" if trim else message_sql
        return (
            "status_log || jsonb_build_array(jsonb_build_object("
            f"'status', %s::text, 'timestamp', %s::text, 'message', ({message})::text))"
        )
    message = f"trim({message_sql})" if trim else message_sql
    return f"json_insert(status_log, '$[#]', json_object('status', %s, 'timestamp', %s, 'message', {message}))"


def _updated_rows(sql: str, params: list, *, service: bool = False) -> list[Execution]:
    """The rows an ``UPDATE`` (``sql``, without its ``RETURNING``) changed, as executions,
    with what their live event names as attributes: the creator's username, and with
    ``service`` (the caller does not hold the service) the service's name and package.
    Not ``Manager.raw``, nor the cursor's description: both work out the columns again for
    every query, which cost a claim and a finish more than the database did (a claim and a
    finish are on every execution's path)."""
    returning, fields, extras = _row_shape(connection.vendor, service)
    rows = _rows(sql + returning, params)
    executions = []
    for row in rows:
        values = []
        for position, (column, converters) in enumerate(fields):
            value = row[position]
            for converter in converters:
                value = converter(value, column, connection)
            values.append(value)
        execution = Execution.from_db(connection.alias, None, values)
        for position, name in extras:
            setattr(execution, name, row[position])
        executions.append(execution)
    return executions


def _rows(sql: str, params: list) -> list[tuple]:
    """The rows of a statement on every execution's path: prepared on PostgreSQL
    (``dataslot_server.postgresql``), run as usual elsewhere."""
    execute_prepared = getattr(connection, "execute_prepared", None)
    if execute_prepared is not None:
        return execute_prepared(sql, params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


_row_shapes: dict[tuple, tuple] = {}


def _row_shape(vendor: str, service: bool) -> tuple[str, list, list]:
    """The ``RETURNING`` clause (the column of every concrete field of Execution, in the model's
    order, then the extra columns), each field's expression and converters, and the extra
    columns' positions and names."""
    shape = _row_shapes.get((vendor, service))
    if shape is None:
        quote = connection.ops.quote_name
        concrete = Execution._meta.concrete_fields
        users, services = get_user_model()._meta.db_table, Service._meta.db_table
        extras = {"creator_username": f"(SELECT username FROM {users} WHERE id = {_TABLE}.creator_id)"}
        if service:
            extras["service_name"] = f"(SELECT name FROM {services} WHERE id = {_TABLE}.service_id)"
            extras["service_package_id"] = f"(SELECT package_id FROM {services} WHERE id = {_TABLE}.service_id)"
        columns = [quote(field.column) for field in concrete] + [f"{sql} AS {name}" for name, sql in extras.items()]
        fields = []
        for field in concrete:
            column = field.get_col(_TABLE)
            fields.append((column, connection.ops.get_db_converters(column) + column.get_db_converters(connection)))
        positions = [(len(concrete) + index, name) for index, name in enumerate(extras)]
        shape = _row_shapes[(vendor, service)] = (f" RETURNING {', '.join(columns)}", fields, positions)
    return shape


def _db_time(moment):
    """A timestamp as the database stores it (raw SQL skips the field's conversion)."""
    return Execution._meta.get_field("updated_at").get_db_prep_value(moment, connection)


def _attach_service(execution: Execution) -> None:
    """The service's name and package, from ``_updated_rows(service=True)``'s columns."""
    # from_db takes the values in the model's field order (package before name).
    execution.service = Service.from_db(
        None, ["id", "package_id", "name"], [execution.service_id, execution.service_package_id, execution.service_name]
    )


def _attach_creator(execution: Execution) -> None:
    if execution.creator_id is not None and execution.creator_username is not None:
        User = get_user_model()
        execution.creator = User.from_db(None, ["id", "username"], [execution.creator_id, execution.creator_username])


def _worker(holder: str):
    """The holder's Worker row (workers are never deleted, so a found one is remembered)."""
    # The runner app (above this one) owns workers; the execution's relation names its model.
    Worker = Execution._meta.get_field("worker").related_model
    if holder in _workers:
        return _workers[holder]
    worker = Worker.objects.filter(pk=holder).first()
    if worker is not None:
        _workers[holder] = worker
    return worker


_workers: dict = {}


def execution_progress(*, execution_id: int, holder: str, percent: int, message: str) -> Execution | None:
    """A running execution's progress, as its holder reports it. One conditional ``UPDATE …
    RETURNING``, like a finish: a run reset, stopped or taken by another holder meanwhile is
    left alone (a read, then a save, would write over the reset's message and announce a
    state older than the database's)."""
    now = timezone.now()
    worker = _worker(holder)
    at = _db_time(now)
    sql = (
        f"UPDATE {_TABLE} SET percent_complete = %s, message = %s, updated_at = %s"
        f" WHERE id = %s AND status = %s AND holder = %s"
    )
    params = [max(0, min(100, int(percent))), message[:2000], at, int(execution_id), RUNNING, holder]
    for execution in _updated_rows(sql, params, service=True):
        _attach_service(execution)
        if worker is not None and execution.worker_id == worker.pk:
            execution.worker = worker
        _attach_creator(execution)
        announce(execution)
        return execution
    return None


def execution_logs_append(*, lines: list[tuple[int, str]]) -> None:
    """What runs logged, as ``(execution id, text)`` in order: one insert for all of them,
    and each execution's new lines go to its log's websocket group after commit."""
    if not lines:
        return
    with transaction.atomic():
        created = ExecutionLog.objects.bulk_create([ExecutionLog(execution_id=e, text=t) for e, t in lines])
        by_execution: dict[int, list[dict]] = {}
        for line in created:
            by_execution.setdefault(line.execution_id, []).append(log_line_json(line))
        for execution_id, payload in by_execution.items():
            publish_on_commit(execution_logs_group(execution_id), {"type": "logs", "lines": payload})


def executions_finish(*, holder: str, results: list[dict]) -> list[Execution]:
    """Record how runs ended: ``results`` are ``{id, status, output, message[, percent]}``; several
    in one transaction. Each is one conditional ``UPDATE … RETURNING``: an execution that
    has moved on since (reset, rerun, another worker) is left alone.
    """
    now = timezone.now()
    worker = _worker(holder)
    output_field = Execution._meta.get_field("output")
    at = _db_time(now)
    finished = []
    sql = (
        f"UPDATE {_TABLE} SET status = %s, output = %s, message = %s,"
        f" percent_complete = CASE WHEN %s THEN 100 WHEN %s >= 0 THEN %s ELSE percent_complete END,"
        f" finished_at = %s, updated_at = %s, status_log = {_log_append('%s')}"
        f" WHERE id = %s AND status = %s AND holder = %s"
    )
    with transaction.atomic() if len(results) > 1 else nullcontext():
        for result in results:
            status = result["status"]
            success = status == ExecutionStatus.SUCCESS
            output = output_field.get_db_prep_save(result.get("output") if success else None, connection)
            message = (result.get("message") or "")[:2000]
            # A run's last progress not yet written (``percent``) is written with its end.
            percent = result.get("percent")
            percent = max(0, min(100, int(percent))) if isinstance(percent, int) else -1
            params = [status, output, message, success, percent, percent, at, at, status, now.isoformat(), message]
            params += [int(result["id"]), RUNNING, holder]
            for execution in _updated_rows(sql, params, service=True):
                _attach_service(execution)
                if worker is not None and execution.worker_id == worker.pk:
                    execution.worker = worker
                _attach_creator(execution)
                announce(execution)
                finished.append(execution)
    return finished


def execution_finish(
    *, execution_id: int, holder: str, status: str, output=None, message: str = ""
) -> Execution | None:
    finished = executions_finish(
        holder=holder, results=[{"id": execution_id, "status": status, "output": output, "message": message}]
    )
    return finished[0] if finished else None


def execution_release(*, execution_id: int, holder: str, reason: str) -> Execution | None:
    """A claimed execution that never reached a replica goes back to the queue, its attempt
    not counted, whatever ``on_reset`` says: it did not run. (A termination asked for
    meanwhile ends it instead.)"""
    now = timezone.now()
    with transaction.atomic():
        execution = _held(execution_id, holder)
        if execution is None:
            return None
        if execution.to_terminate:
            execution.status = ExecutionStatus.TERMINATED
            execution.message = "Terminated before it started."
            execution.finished_at = now
        else:
            execution.status = CREATED
            execution.message = f"{reason} It had not started: queued again."
            execution.attempts = max(0, execution.attempts - 1)
            execution.started_at = None
            execution.enqueued_at = execution.published_at = now
        return _let_go(execution, now)


def execution_reset(
    *, execution_id: int, reason: str, terminated: bool = False, holder: str | None = None, unless_held_by=None
) -> Execution | None:
    """An execution's run was cut off from outside (timeout, replica death, restart).

    A termination that had to be forced still ends as ``terminated``. Otherwise the
    service's ``on_reset`` decides: ``failed``, or ``rerun`` (queued again while
    attempts remain, then ``failed``).
    """
    now = timezone.now()
    with transaction.atomic():
        execution = _held(execution_id, holder, unless_held_by)
        if execution is None:
            return None
        service = execution.service
        if terminated or execution.to_terminate:
            execution.status = ExecutionStatus.TERMINATED
            execution.message = "Terminated (stopped by force after the grace period)." if terminated else reason
        elif service.on_reset == OnResetAction.RERUN and execution.attempts < execution.max_attempts:
            execution.status = CREATED
            execution.message = f"{reason} Queued again (attempt {execution.attempts + 1} of {execution.max_attempts})."
        else:
            execution.status = ExecutionStatus.FAILED
            tries = f" after {execution.attempts} attempts" if execution.max_attempts > 1 else ""
            execution.message = f"{reason}{tries}".strip()
        if execution.status != CREATED:
            execution.finished_at = now
        else:
            execution.enqueued_at = execution.published_at = now
        return _let_go(execution, now)


def _held(execution_id: int, holder: str | None, unless_held_by=None) -> Execution | None:
    """The execution if it is in progress (held by ``holder``, when given; not by one of
    ``unless_held_by``, a query of holder ids, when given), its row locked until the
    transaction ends: two sweepers, or a sweep and a termination, must not both act on one
    read."""
    queryset = (
        Execution.objects.select_for_update(of=("self",))
        .select_related("service", "creator", "worker")
        .filter(pk=execution_id, status=RUNNING)
    )
    if holder is not None:
        queryset = queryset.filter(holder=holder)
    if unless_held_by is not None:
        queryset = queryset.exclude(holder__in=unless_held_by)
    return queryset.first()


def _let_go(execution: Execution, now) -> Execution:
    """Its run is over here: the holder cleared, the new state logged, saved and announced,
    and queued again when it is ``created``."""
    execution.holder = ""
    execution.status_log.append(_log_entry(execution.status, execution.message, now))
    execution.save()
    announce(execution)
    if execution.status == CREATED:
        executor.enqueue_on_commit([execution.id], service=execution.service)
    return execution
