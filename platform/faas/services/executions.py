"""Every change of an execution's state happens here, inside a transaction, and its
live event is sent only after commit (one place changes state; the event cannot run
ahead of the data).

Request-side actions: create, create in batch, terminate, rerun. Runner-side
transitions: claim, progress, finish, reset (``on_reset``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from faas import dispatch
from faas.enums import ExecutionStatus, OnResetAction
from faas.errors import Conflict
from faas.inputs import normalise_input
from faas.models import Execution, Service
from faas.representations import execution_json
from live.events import project_group, publish_on_commit

RUNNING = ExecutionStatus.IN_PROGRESS
CREATED = ExecutionStatus.CREATED


def _log_entry(status: str, message: str = "", now=None) -> dict:
    return {"status": status, "timestamp": (now or timezone.now()).isoformat(), "message": message}


def announce(execution: Execution) -> None:
    publish_on_commit(
        project_group(execution.project_id), {"type": "execution", "execution": execution_json(execution)}
    )


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


def _new(service: Service, function: dict, input: dict, user, now, trigger=None) -> Execution:
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
    with transaction.atomic():
        execution = _new(
            service, function, normalise_input(project=service.project, function=function, input=input), user, now
        )
        execution.save()
        announce(execution)
        dispatch.enqueue_on_commit([execution.id], service=service)
    return execution


def executions_create_batch(
    *,
    service: Service,
    function_name: str | None,
    inputs: Iterable[dict],
    user=None,
    require_active: bool = False,
    trigger=None,
) -> list[Execution]:
    """Queue many executions in one transaction; inputs are already normalised references.
    ``trigger``: the trigger that queued them (faas/services/triggers.py)."""
    if require_active and not service.active:
        raise Conflict(f"Service '{service.name}' is paused.")
    function = function_for(service, function_name)
    now = timezone.now()
    with transaction.atomic():
        executions = Execution.objects.bulk_create(
            [_new(service, function, input, user, now, trigger) for input in inputs], batch_size=500
        )
        for execution in executions:
            announce(execution)
        dispatch.enqueue_on_commit([e.id for e in executions], service=service)
    return executions


def execution_terminate(*, execution: Execution, user=None) -> Execution:
    """A queued execution ends at once and never runs; a running one is asked to stop
    (``kill_event()`` raises in it; after the grace period its replica is killed)."""
    now = timezone.now()
    with transaction.atomic():
        execution = (
            Execution.objects.select_for_update(of=("self",))
            .select_related("service", "creator", "worker")
            .get(pk=execution.pk)
        )
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
        transaction.on_commit(dispatch.notify)
    return execution


def execution_rerun(*, execution: Execution, user=None) -> Execution:
    """Queue a finished execution again under the same id, with the same input."""
    now = timezone.now()
    with transaction.atomic():
        execution = (
            Execution.objects.select_for_update(of=("self",))
            .select_related("service", "creator", "worker")
            .get(pk=execution.pk)
        )
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
        execution.enqueued_at = now
        execution.status_log.append(_log_entry(CREATED, "Rerun requested.", now))
        execution.save()
        announce(execution)
        dispatch.enqueue_on_commit([execution.id], service=service)
    return execution


# --- runner-side transitions -------------------------------------------------------


def executions_claim(
    *, service: Service, limit: int, runner_id: str, only: Iterable[int] | None = None, note: str = ""
) -> list[Execution]:
    """Move up to ``limit`` queued executions of a service to in-progress, oldest first.

    ``only``: claim none but these (a scale-out worker claims exactly the executions its
    messages named). ``note``: said in the claimed executions' status log (e.g. a cold start). The claim is conditional (still ``created``, rows locked or skipped),
    so two dispatchers never both claim one execution.
    """
    now = timezone.now()
    with transaction.atomic():
        queryset = Execution.objects.select_related("service", "creator").filter(
            service=service,
            status=CREATED,
            service__active=True,  # paused meanwhile: not claimed
        )
        if only is not None:
            queryset = queryset.filter(pk__in=list(only))
        if connection.features.has_select_for_update_skip_locked:
            queryset = queryset.select_for_update(skip_locked=True, of=("self",))
        executions = list(queryset.order_by("id")[:limit])
        worker = _worker(runner_id) if executions else None
        for execution in executions:
            execution.status = RUNNING
            execution.attempts += 1
            execution.started_at = now
            execution.finished_at = None
            execution.runner_id = runner_id
            execution.worker = worker
            execution.updated_at = now
            execution.status_log.append(_log_entry(RUNNING, f"Attempt {execution.attempts}. {note}".strip(), now))
            announce(execution)
        _save(
            executions,
            ["status", "attempts", "started_at", "finished_at", "runner_id", "worker", "updated_at", "status_log"],
        )
    return executions


def _worker(runner_id: str):
    """The runner's Worker row (workers are never deleted, so a found one is remembered)."""
    from runner.models import Worker  # the runner app owns workers; executions name theirs

    if runner_id in _workers:
        return _workers[runner_id]
    worker = Worker.objects.filter(pk=runner_id).first()
    if worker is not None:
        _workers[runner_id] = worker
    return worker


_workers: dict = {}


def _save(executions: list[Execution], fields: list[str]) -> None:
    """Write these fields of these executions: a plain UPDATE each for a few (the usual
    case: one run ends), one CASE-per-field UPDATE for many."""
    if len(executions) > 4:
        Execution.objects.bulk_update(executions, fields)
        return
    columns = [Execution._meta.get_field(name).attname for name in fields]
    for execution in executions:
        Execution.objects.filter(pk=execution.pk).update(**{c: getattr(execution, c) for c in columns})


def execution_progress(*, execution_id: int, percent: int, message: str) -> None:
    with transaction.atomic():
        execution = (
            Execution.objects.select_related("service", "creator", "worker")
            .filter(pk=execution_id, status=RUNNING)
            .first()
        )
        if execution is None:
            return
        execution.percent_complete = max(0, min(100, int(percent)))
        execution.message = message[:2000]
        execution.save(update_fields=["percent_complete", "message", "updated_at"])
        announce(execution)


def executions_finish(*, runner_id: str, results: list[dict]) -> list[Execution]:
    """Record how runs ended, in one transaction: ``results`` are ``{id, status, output, message}``.

    An execution that has moved on since (reset, rerun, another runner) is left alone.
    """
    now = timezone.now()
    by_id = {r["id"]: r for r in results}
    with transaction.atomic():
        executions = list(
            Execution.objects.select_related("service", "creator", "worker").filter(
                pk__in=list(by_id), status=RUNNING, runner_id=runner_id
            )
        )
        for execution in executions:
            result = by_id[execution.id]
            execution.status = result["status"]
            execution.output = result.get("output") if execution.status == ExecutionStatus.SUCCESS else None
            execution.message = (result.get("message") or "")[:2000]
            if execution.status == ExecutionStatus.SUCCESS:
                execution.percent_complete = 100
            execution.finished_at = execution.updated_at = now
            execution.status_log.append(_log_entry(execution.status, execution.message, now))
            announce(execution)
        _save(
            executions, ["status", "output", "message", "percent_complete", "finished_at", "updated_at", "status_log"]
        )
    return executions


def execution_finish(
    *, execution_id: int, runner_id: str, status: str, output=None, message: str = ""
) -> Execution | None:
    finished = executions_finish(
        runner_id=runner_id, results=[{"id": execution_id, "status": status, "output": output, "message": message}]
    )
    return finished[0] if finished else None


def execution_reset(
    *, execution_id: int, reason: str, terminated: bool = False, runner_id: str | None = None
) -> Execution | None:
    """An execution's run was cut off from outside (timeout, replica death, restart).

    A termination that had to be forced still ends as ``terminated``. Otherwise the
    service's ``on_reset`` decides: ``failed``, or ``rerun`` (queued again while
    attempts remain, then ``failed``).
    """
    now = timezone.now()
    with transaction.atomic():
        queryset = Execution.objects.select_related("service", "creator", "worker").filter(
            pk=execution_id, status=RUNNING
        )
        if runner_id is not None:
            queryset = queryset.filter(runner_id=runner_id)
        execution = queryset.first()
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
            execution.enqueued_at = now
        execution.runner_id = ""
        execution.status_log.append(_log_entry(execution.status, execution.message, now))
        execution.save()
        announce(execution)
        if execution.status == CREATED:
            dispatch.enqueue_on_commit([execution.id], service=service)
    return execution
