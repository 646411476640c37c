"""The dispatcher's scheduling: which services want replicas, and which queued
executions each replica takes.

A pass (``schedule``) reads the services and the queued counts, records replicas that
could not start, retires replicas of an older config, and then, service by service,
starts the replicas the autoscaler wants, stops idle ones beyond it, and claims queued
executions for the room the replicas have. Whatever goes wrong for one service marks that
service alone broken.

``Scheduling`` is a part of ``runner.dispatcher.Dispatcher``, kept apart because it is a
second idea: it works on the dispatcher's state (``replicas``, ``services``, ``queued``,
``broken``, ``cold_starts``, ``worker_id``) and starts and stops replicas through the
loop's ``_spawn``, ``_forget``, ``lost`` and ``_signal_terminations``. A scale-out worker
overrides which executions it takes (``runner/offers.py``).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from django.db import InterfaceError, OperationalError
from django.db.models import Count

from faas.enums import ExecutionStatus
from faas.models import Execution, PackageRevision, Service
from faas.services import executions as lifecycle
from faas.services import services as service_services
from runner import autoscale
from runner.code import CodeUnavailable
from runner.entities import entity_payloads
from runner.replicas import ReplicaProcess

if TYPE_CHECKING:
    from runner.workers import Lease

logger = logging.getLogger(__name__)

# Errors of the database itself (locked, connection lost): they break no service.
TRANSIENT = (OperationalError, InterfaceError)


class Scheduling:
    # The dispatcher's state this part works on (set in ``Dispatcher.__init__``).
    worker_id: str
    lease: Lease | None
    replicas: dict[int, list[ReplicaProcess]]
    services: dict[int, Service]
    queued: set[int]
    broken: dict[tuple[int, int], str]
    cold_starts: dict[int, float]
    _functions: dict[tuple[int, int, str], dict]

    def schedule(self) -> None:
        """A full look: services, their replicas, terminations asked, and queued work.

        Each service's part of the pass stands alone: whatever goes wrong for one service
        marks that service broken (``_break``) and the pass goes on with the others.
        """
        queued = dict(
            Execution.objects.filter(status=ExecutionStatus.CREATED)
            .values_list("service_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        services = Service.objects.select_related("package", "project")
        self.services = {s.id: s for s in services.filter(active=True)} | {
            s.id: s for s in services.filter(id__in=list(queued))
        }
        self.queued = {sid for sid in queued if sid in self.services and self.services[sid].active}
        self._record_start_failures()
        self._retire(self.services)
        self._signal_terminations()
        for service_id, service in self.services.items():
            if not service.active:
                continue
            try:
                self._schedule_service(service, queued=queued.get(service_id, 0))
            except TRANSIENT as exc:
                # The database's trouble, not this service's: nothing is marked, the next pass retries.
                logger.warning("service %s: scheduling interrupted (%s); retried on the next pass", service_id, exc)
            except Exception as exc:
                self._break(service, exc)

    def _schedule_service(self, service: Service, *, queued: int) -> None:
        if service.broken_reason:
            if queued:
                self._fail_queued(service, service.broken_reason)
            self.queued.discard(service.id)
            return
        current = [r for r in self.replicas[service.id] if r.config_version == service.config_version]
        running = sum(len(r.runs) for r in current)
        wanted = autoscale.replicas_wanted(service, queued=queued, running=running)
        for _ in range(wanted - len(current)):
            if not self._spawn(service):
                break
        self._scale_down(service, current, wanted)
        if service.id in self.queued:
            self._claim(service)

    def _scale_down(self, service: Service, current: list[ReplicaProcess], wanted: int) -> None:
        """Replicas beyond what the autoscaler wants stop once idle for its cooldown."""
        now = time.monotonic()
        for replica in current:
            if replica.runs or not replica.ready:
                replica.idle_since = None
            elif replica.idle_since is None:
                replica.idle_since = now
        if autoscale.autoscaler_of(service) is None or len(current) <= wanted:
            return
        idle = [r for r in current if r.idle_since is not None and now - r.idle_since >= autoscale.cooldown(service)]
        for replica in idle[: len(current) - wanted]:
            replica.log_event("stopped an idle replica: the service's autoscaler wants fewer.")
            self._forget(replica)
            # Off this loop: a replica may take a moment to exit, and others' runs go on meanwhile.
            threading.Thread(target=replica.stop, name="dataslot-replica-stop", daemon=True).start()

    def _record_start_failures(self) -> None:
        """Replicas that could not start (noted in ``self.broken``) mark their service broken,
        in the database, so it shows; an update or a resume clears it and it is tried again."""
        for (service_id, config_version), reason in list(self.broken.items()):
            del self.broken[(service_id, config_version)]
            service = self.services.get(service_id)
            if service is not None and service.config_version == config_version and not service.broken_reason:
                service_services.service_mark_broken(service=service, reason=f"The service could not start: {reason}")

    def _break(self, service: Service, exc: Exception) -> str:
        """Something went wrong for this service alone: it is marked broken with the reason and
        its queued executions fail with it. Returns the reason."""
        reason = broken_reason(service, exc)
        logger.warning("service %s is broken: %s", service.id, reason, exc_info=not isinstance(exc, CodeUnavailable))
        self.queued.discard(service.id)
        try:
            service_services.service_mark_broken(service=service, reason=reason)
            self._fail_queued(service, reason)
        except Exception:
            logger.exception("service %s: could not record that it is broken", service.id)
        return reason

    def _claim(self, service: Service) -> None:
        if self.lease is not None and self.lease.lost:
            return  # others may be resetting what this dispatcher holds: it takes nothing new
        capacity = sum(r.free for r in self.replicas[service.id])
        if not capacity:
            return
        claimed = self._take(service, capacity)
        if not claimed:
            return
        reason, reset = None, "Its replica could not be reached."
        sent: set[int] = set()  # ids whose message reached a replica: they may have run
        try:
            self._assign(service, claimed, sent)
        except TRANSIENT as exc:
            logger.warning("service %s: handing out executions interrupted (%s)", service.id, exc)
            reset = "A database error interrupted handing it to a replica."
        except Exception as exc:
            reason = self._break(service, exc)
        # Claimed but on no replica (it could not be reached, or the service broke): such an
        # execution must not stay in progress with nothing running it. One whose message
        # never reached a replica did not run: it is queued again whatever its on_reset says.
        # One that did reach a replica since lost may have run: it follows on_reset.
        handed = {execution_id for replica in self.replicas[service.id] for execution_id in replica.runs}
        for execution in claimed:
            if execution.id in handed:
                continue
            if reason is None and execution.id in sent:
                lifecycle.execution_reset(execution_id=execution.id, holder=self.worker_id, reason=reset)
            elif reason is None:
                lifecycle.execution_release(execution_id=execution.id, holder=self.worker_id, reason=reset)
            else:
                lifecycle.execution_finish(
                    execution_id=execution.id, holder=self.worker_id, status=ExecutionStatus.FAILED, message=reason
                )

    def cold_start_note(self, service: Service) -> str:
        """What the first executions run after a cold start say in their status log."""
        started = self.cold_starts.pop(service.id, None)
        if started is None or autoscale.autoscaler_of(service) is None:
            return ""
        return (
            f"Waited {time.monotonic() - started:.1f} s for a replica to start "
            "(cold start: the service's autoscaler had no replica running)."
        )

    def _take(self, service: Service, capacity: int) -> list[Execution]:
        """Queued executions of a service to run now, claimed for this dispatcher."""
        claimed = lifecycle.executions_claim(
            service=service, limit=capacity, holder=self.worker_id, note=self.cold_start_note(service)
        )
        if len(claimed) < capacity:
            self.queued.discard(service.id)  # drained; a new execution wakes us
        return claimed

    def _retire(self, services: dict[int, Service]) -> None:
        """Replicas of an older config drain, then stop; paused or deleted services' idle ones stop."""
        now = time.monotonic()
        for service_id, replicas in list(self.replicas.items()):
            service = services.get(service_id)
            for replica in list(replicas):
                outdated = service is None or replica.config_version != service.config_version
                if outdated and replica.draining_since is None:
                    replica.draining_since = now
                if (outdated or not service.active or service.broken_reason) and not replica.runs:
                    self._forget(replica)
                    replica.stop()

    def _fail_queued(self, service: Service, message: str, batch: int = 500) -> None:
        while True:
            failed = lifecycle.executions_fail_queued(
                service=service, limit=batch, holder=self.worker_id, message=message
            )
            if len(failed) < batch:
                return

    def _function(self, service: Service, execution: Execution) -> dict:
        key = (service.package_id, execution.package_revision, service.module_name)
        if key not in self._functions:
            revision = PackageRevision.objects.get(package_id=service.package_id, version=execution.package_revision)
            self._functions[key] = {f["name"]: f for f in revision.module(service.module_name)["functions"]}
        return self._functions[key].get(execution.function_name, {"inputs": []})

    def _assign(self, service: Service, executions: list[Execution], sent: set[int]) -> None:
        replicas = [r for r in self.replicas[service.id] if r.free > 0]
        functions = {e.id: self._function(service, e) for e in executions}
        entities = entity_payloads(executions, functions)
        for execution in executions:
            replica = max(replicas, key=lambda r: r.free)
            message = {
                "op": "run",
                "id": execution.id,
                "function": execution.function_name,
                "input": execution.input,
                "inputs": functions[execution.id]["inputs"],
                "entities": entities.get(execution.id, {}),
                "context": {
                    "project_id": service.project_id,
                    "service_id": service.id,
                    "package_id": service.package_id,
                    "function_name": execution.function_name,
                },
            }
            if not replica.start(execution.id, service.execution_timeout, message):
                # Its message did not reach the replica: this execution did not run (released
                # by the caller); what did run there follows on_reset.
                replica.runs.pop(execution.id, None)
                if not replica.taken:
                    # It stopped reading before its first run: starting it again would too.
                    self.broken.setdefault(
                        (replica.service_id, replica.config_version),
                        "its replica stopped reading before its first run.",
                    )
                self.lost(replica, "The replica process could not be reached.")
                return
            sent.add(execution.id)


def broken_reason(service: Service, exc: Exception) -> str:
    """What the project is told when its service cannot run (never the server's paths)."""
    if isinstance(exc, CodeUnavailable):
        return str(exc)
    if isinstance(exc, PackageRevision.DoesNotExist):
        return f"Its package revision {service.package_revision} no longer exists."
    if isinstance(exc, OSError):
        return f"Its replica could not be started: {exc.strerror or type(exc).__name__}."
    return f"It could not be run: an unexpected {type(exc).__name__} (the server's log has the details)."
