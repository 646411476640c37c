"""The dispatcher: moves executions through their states on real replica processes.

One thread, one loop: it waits on the replicas' pipes and a wake-up pipe, applies what
the replicas report (in one transaction per batch), enforces timeouts and termination
grace from outside the function, and hands queued executions to replicas with free
capacity. The database is the source of truth: every dispatcher is a ``runner.Worker``
that heartbeats, and what a dispatcher held when it stopped answering follows
``on_reset`` once its lease expires (``runner/workers.py``); queued executions run.

This is the embedded dispatcher of ``make run``; a scale-out worker's differs only in
which executions it takes (``runner/offers.py``).
"""

from __future__ import annotations

import logging
import os
import selectors
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Count
from rest_framework.authtoken.models import Token

from dataslot.runtime.protocol import MAX_TEXT
from faas.enums import ExecutionStatus
from faas.models import Execution, ExecutionLog, PackageRevision, Service
from faas.services import executions as lifecycle
from faas.services import services as service_services
from faas.services.integrations import service_secret_env
from faas.trigger_pump import TriggerPump
from live.events import execution_logs_group, publish_on_commit
from runner import autoscale
from runner.code import CodeUnavailable, code_dir
from runner.entities import entity_payloads
from runner.replicas import MAX_REJECTED, ReplicaProcess
from runner.users import prepare_home, replica_user, share_code
from runner.workers import Lease, leases_sweep, worker_register, worker_stop

logger = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.1  # at most ten progress events a second per execution
POLL_INTERVAL = 1.0
# Errors of the database itself (locked, connection lost): they break no service.
TRANSIENT = (OperationalError, InterfaceError)
# What one run of an execution may log: a chatty function cannot fill the database.
LOG_ENTRIES_PER_RUN = 10_000
LOG_CHARS_PER_RUN = 10_000_000


class Dispatcher:
    executor = "embedded"

    def __init__(self, *, api_url: str | None = None, grace: float | None = None, name: str | None = None):
        self.runner_id = uuid.uuid4().hex
        self.name = name
        self.lease: Lease | None = None
        self.api_url = api_url or settings.DATASLOT_API_URL
        self.grace = settings.DATASLOT_TERMINATION_GRACE if grace is None else grace
        self.selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self.selector.register(self._wake_r, selectors.EVENT_READ, None)
        self.replicas: dict[int, list[ReplicaProcess]] = defaultdict(list)
        self.broken: dict[tuple[int, int], str] = {}  # (service, config) whose replica could not start
        self.progress: dict[int, tuple[int, str]] = {}
        self.progress_sent: dict[int, float] = {}
        self.logs: list[tuple[int, str]] = []
        self.results: list[dict] = []
        self.services: dict[int, Service] = {}
        self.queued: set[int] = set()  # services that may have queued executions
        self._capacity_freed = False
        self._schedule_due = True
        self._last_poll = 0.0
        self._stop = threading.Event()
        self._functions: dict[tuple[int, int, str], dict] = {}
        self.cold_starts: dict[int, float] = {}  # service -> when its first replica was started

    # --- control ---------------------------------------------------------------------

    def wake(self) -> None:
        try:
            os.write(self._wake_w, b"!")
        except BlockingIOError:
            pass  # already awake

    def stop(self) -> None:
        self._stop.set()
        self.wake()

    def run_forever(self) -> None:
        worker_register(worker_id=self.runner_id, name=self.name, executor=self.executor)
        self.lease = self.make_lease()
        self.recover()
        self.lease.start()
        # Triggers' events and schedules become executions beside every dispatcher (faas/trigger_pump.py).
        pump = TriggerPump().start()
        while not self._stop.is_set():
            try:
                self.step()
            except TRANSIENT as exc:
                # The database went away (a blip, a cut network): drop the broken connection
                # so the next turn reconnects, instead of failing on it forever.
                logger.warning("dispatcher: the database is unreachable (%s); retrying", str(exc).strip()[:200])
                connection.close()
                time.sleep(0.5)
            except Exception:
                logger.exception("dispatcher step failed; going on")
                connection.close()
                time.sleep(0.5)
        pump.stop()
        self.lease.stop()
        for replicas in self.replicas.values():
            for replica in replicas:
                replica.stop()
        try:
            worker_stop(worker_id=self.runner_id)
        except Exception:
            logger.exception("could not record this worker's stop; its lease will expire")
        connection.close()

    def make_lease(self) -> Lease:
        return Lease(worker_id=self.runner_id, snapshot=self.snapshot)

    def snapshot(self) -> tuple[list[dict], int, list[int]]:
        """What this dispatcher runs, for its heartbeat (read from the lease's thread)."""
        replicas = [
            {"serviceId": r.service_id, "pid": r.process.pid, "ready": r.ready, "runs": len(r.runs)}
            for group in list(self.replicas.values())
            for r in list(group)
        ]
        return replicas, sum(r["runs"] for r in replicas), []

    def step(self) -> None:
        timeout = PROGRESS_INTERVAL if self.progress else 0.25
        messages: list[tuple[ReplicaProcess, dict]] = []
        dead: list[ReplicaProcess] = []
        heard: list[ReplicaProcess] = []
        for key, _ in self.selector.select(timeout):
            if key.data is None:
                try:
                    while os.read(self._wake_r, 4096):
                        pass
                except BlockingIOError:
                    pass
                self._schedule_due = True
                continue
            replica, stream = key.data
            if stream == "stderr":
                replica.drain_stderr()
                continue
            received = replica.read()
            if received is None:
                dead.append(replica)
            else:
                heard.append(replica)
                messages.extend((replica, m) for m in received)
        if messages or self.results:
            with transaction.atomic():
                for replica, message in messages:
                    self.apply(replica, message)
                if self.results:
                    # Kept until written: a database blip here retries them on the next turn
                    # (finishing is conditional on the run still being this dispatcher's).
                    lifecycle.executions_finish(runner_id=self.runner_id, results=self.results)
                    self.results = []
        for replica in heard:
            if replica.misbehaving:
                self._stop_misbehaving(replica)
        for replica in dead:
            code = replica.process.wait()
            if not replica.ready:
                # It died while starting: starting it again would fail the same way.
                self.broken.setdefault(
                    (replica.service_id, replica.config_version),
                    f"the replica exited while starting (exit code {code}).",
                )
            self.lost(replica, f"The replica process exited unexpectedly (exit code {code}).")
        self.flush()
        self.enforce_deadlines()
        now = time.monotonic()
        if self._schedule_due or now - self._last_poll >= POLL_INTERVAL:
            self._schedule_due = self._capacity_freed = False
            self._last_poll = now
            self.schedule()
        elif self._capacity_freed:
            # Runs ended: hand out more of what was queued, without a full look at the database.
            self._capacity_freed = False
            for service_id in list(self.queued):
                self._claim(self.services[service_id])

    # --- what replicas report ----------------------------------------------------------

    def apply(self, replica: ReplicaProcess, message: dict) -> None:
        """One message, already redacted by ``replica.read()``. The channel is writable from
        inside a function: what the replica has no right to say is dropped and counted."""
        refusal = replica.refusal(message)
        if refusal is not None:
            replica.reject(refusal, message)
            return
        op = message["op"]
        if op == "confined":
            replica.confined = True
            self._note_sandbox_gaps(replica, message.get("sandboxGaps"))
        elif op == "ready":
            replica.ready = True
            self._schedule_due = True
        elif op == "init-failed":
            replica.init_failed = True
            self.broken[(replica.service_id, replica.config_version)] = message.get("message", "")[:MAX_TEXT]
            self._schedule_due = True
        elif op == "log":
            run = replica.runs[message["id"]]
            run.log_entries += 1
            run.log_chars += len(message["text"])
            if run.log_entries <= LOG_ENTRIES_PER_RUN and run.log_chars <= LOG_CHARS_PER_RUN:
                self.logs.append((run.execution_id, message["text"]))
            elif not run.log_truncated:
                run.log_truncated = True
                self.logs.append(
                    (
                        run.execution_id,
                        f"[dataslot] The log stops here: a run keeps at most {LOG_ENTRIES_PER_RUN} log "
                        f"messages and {LOG_CHARS_PER_RUN} characters.\n",
                    )
                )
        elif op == "progress":
            percent = max(0, min(100, int(message.get("percent", 0))))
            self.progress[message["id"]] = (percent, message.get("message", "")[:MAX_TEXT])
        elif op == "done":
            execution_id = message["id"]
            run = replica.runs.pop(execution_id)
            status, text = message["status"], message.get("message") or ""
            if status == ExecutionStatus.TERMINATED and run.kill_at is None:
                # `terminated` means someone asked for it; a function cannot claim it on its own.
                status, text = ExecutionStatus.FAILED, f"Ended as terminated, but no termination was asked: {text}"
            self._flush_progress(only=execution_id, force=True)
            self.progress.pop(execution_id, None)
            self.progress_sent.pop(execution_id, None)
            self.results.append(
                {
                    "id": execution_id,
                    "status": status,
                    "output": message.get("output"),
                    "message": text,
                }
            )
            self._capacity_freed = True

    def _stop_misbehaving(self, replica: ReplicaProcess) -> None:
        replica.log_event(f"stopped the replica: it sent {replica.rejected} messages that were dropped.")
        logger.warning("service %s: stopped a replica that sent malformed or forged messages", replica.service_id)
        if not replica.ready:
            # Its service's code does this while starting: starting it again would do it again.
            self.broken.setdefault(
                (replica.service_id, replica.config_version),
                "its replica sent messages the server could not accept while starting.",
            )
        self.lost(
            replica,
            f"Its replica was stopped: it sent {MAX_REJECTED} or more messages that were not its own "
            "or not valid (see the service's log).",
        )

    def flush(self) -> None:
        if self.logs:
            lines, self.logs = self.logs, []
            with transaction.atomic():
                created = ExecutionLog.objects.bulk_create([ExecutionLog(execution_id=e, text=t) for e, t in lines])
                by_execution = defaultdict(list)
                for line in created:
                    by_execution[line.execution_id].append(
                        {"id": line.id, "text": line.text, "createdAt": line.created_at.isoformat()}
                    )
                for execution_id, payload in by_execution.items():
                    publish_on_commit(execution_logs_group(execution_id), {"type": "logs", "lines": payload})
        self._flush_progress()

    def _flush_progress(self, only: int | None = None, force: bool = False) -> None:
        now = time.monotonic()
        for execution_id in [only] if only is not None else list(self.progress):
            if execution_id not in self.progress:
                continue
            if not force and now - self.progress_sent.get(execution_id, 0) < PROGRESS_INTERVAL:
                continue
            percent, message = self.progress.pop(execution_id)
            self.progress_sent[execution_id] = now
            lifecycle.execution_progress(execution_id=execution_id, percent=percent, message=message)

    # --- forced stops ----------------------------------------------------------------

    def enforce_deadlines(self) -> None:
        now = time.monotonic()
        for replicas in list(self.replicas.values()):
            for replica in list(replicas):
                timed_out = [r for r in replica.runs.values() if now >= r.deadline]
                forced = [r for r in replica.runs.values() if r.kill_at is not None and now >= r.kill_at]
                draining_too_long = (
                    replica.draining_since is not None
                    and replica.runs
                    and now - replica.draining_since > replica.drain_limit
                )
                if not (timed_out or forced or draining_too_long):
                    continue
                reasons = {
                    r.execution_id: f"Execution timed out after {r.timeout} s (execution_timeout)." for r in timed_out
                }
                others = (
                    f"Its service changed and its replica was drained for {replica.drain_limit:.0f} s, then stopped."
                    if draining_too_long and not (timed_out or forced)
                    else "Its replica was stopped because another execution on it had to be stopped."
                )
                self.kill(
                    replica,
                    reasons,
                    terminated={r.execution_id for r in forced if r.execution_id not in reasons},
                    others=others,
                )

    def kill(self, replica: ReplicaProcess, reasons: dict[int, str], terminated: set[int], others: str) -> None:
        replica.kill()
        self._forget(replica)
        with transaction.atomic():
            for execution_id in list(replica.runs):
                lifecycle.execution_reset(
                    execution_id=execution_id,
                    runner_id=self.runner_id,
                    reason=reasons.get(execution_id, others),
                    terminated=execution_id in terminated,
                )
        replica.runs.clear()
        self._schedule_due = True

    def lost(self, replica: ReplicaProcess, reason: str) -> None:
        self.kill(replica, {}, set(), reason)

    def _forget(self, replica: ReplicaProcess) -> None:
        for stream in (replica.process.stdout, replica.process.stderr):
            try:
                self.selector.unregister(stream)
            except (KeyError, ValueError):
                pass
        if replica in self.replicas.get(replica.service_id, []):
            self.replicas[replica.service_id].remove(replica)

    # --- handing out work --------------------------------------------------------------

    def recover(self) -> None:
        """What stopped workers held follows on_reset (at once if they stopped cleanly, else
        when their lease expires, by the lease's sweep); queued executions will run. Live
        workers' executions, another server's included, are left alone."""
        leases_sweep()

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
            self._spawn(service)
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
        capacity = sum(r.free for r in self.replicas[service.id])
        if not capacity:
            return
        claimed = self._take(service, capacity)
        if not claimed:
            return
        reason, reset = None, "Its replica could not be reached."
        try:
            self._assign(service, claimed)
        except TRANSIENT as exc:
            logger.warning("service %s: handing out executions interrupted (%s)", service.id, exc)
            reset = "A database error interrupted handing it to a replica."
        except Exception as exc:
            reason = self._break(service, exc)
        # Claimed but on no replica (it could not be reached, or the service broke): such an
        # execution must not stay in progress with nothing running it.
        handed = {execution_id for replica in self.replicas[service.id] for execution_id in replica.runs}
        for execution in claimed:
            if execution.id in handed:
                continue
            if reason is None:
                lifecycle.execution_reset(execution_id=execution.id, runner_id=self.runner_id, reason=reset)
            else:
                lifecycle.execution_finish(
                    execution_id=execution.id, runner_id=self.runner_id, status=ExecutionStatus.FAILED, message=reason
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
            service=service, limit=capacity, runner_id=self.runner_id, note=self.cold_start_note(service)
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

    def _signal_terminations(self) -> None:
        running = {eid: replica for replicas in self.replicas.values() for replica in replicas for eid in replica.runs}
        if not running:
            return
        asked = Execution.objects.filter(id__in=list(running), to_terminate=True).values_list("id", flat=True)
        for execution_id in asked:
            replica = running[execution_id]
            run = replica.runs[execution_id]
            if run.kill_at is None:
                run.kill_at = time.monotonic() + self.grace
                replica.send({"op": "terminate", "id": execution_id})

    def _fail_queued(self, service: Service, message: str, batch: int = 500) -> None:
        while True:
            with transaction.atomic():
                claimed = lifecycle.executions_claim(service=service, limit=batch, runner_id=self.runner_id)
                lifecycle.executions_finish(
                    runner_id=self.runner_id,
                    results=[{"id": e.id, "status": ExecutionStatus.FAILED, "message": message} for e in claimed],
                )
            if len(claimed) < batch:
                return

    def _spawn(self, service: Service) -> None:
        if not self.replicas[service.id]:
            self.cold_starts.setdefault(service.id, time.monotonic())  # its first run waits for it
        revision = PackageRevision.objects.get(package_id=service.package_id, version=service.package_revision)
        module = revision.module(service.module_name)
        secrets = service_secret_env(service=service)
        token, _ = Token.objects.get_or_create(user_id=service.bot_id)
        # Each service has a home of its own (and its temporary files in it), owned by its
        # own user: with the sandbox on, it is the only place its replicas can write.
        home = Path(settings.DATASLOT_HOME) / "replica-homes" / str(service.id)
        user = replica_user(service.id)
        prepare_home(home, user)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "HOME": str(home),
            "TMPDIR": str(home / "tmp"),
            "PYTHONDONTWRITEBYTECODE": "1",
            **secrets,
            "DATASLOT_URL": self.api_url,
            "DATASLOT_TOKEN": token.key,
        }
        replica = ReplicaProcess(
            service_id=service.id,
            config_version=service.config_version,
            concurrency=service.concurrency,
            code_dir=share_code(code_dir(revision)),
            env=env,
            secret_values=list(secrets.values()),
            init={
                "op": "init",
                "entryPoint": module["entryPoint"],
                "className": module["className"],
                "initInput": service.init_input,
                "concurrency": service.concurrency,
                "sandbox": settings.DATASLOT_REPLICA_SANDBOX,
                "user": user,
                "serverHome": str(settings.DATASLOT_HOME),  # hidden from the replica
            },
            log_path=Path(settings.DATASLOT_HOME) / "logs" / f"service-{service.id}.log",
            # Running executions get at least their own timeout to finish when the service changes.
            drain_limit=float(max(service.drain_time, service.execution_timeout)),
        )
        self.replicas[service.id].append(replica)
        self.selector.register(replica.process.stdout, selectors.EVENT_READ, (replica, "stdout"))
        self.selector.register(replica.process.stderr, selectors.EVENT_READ, (replica, "stderr"))

    def _note_sandbox_gaps(self, replica: ReplicaProcess, gaps) -> None:
        """The protections a replica could not apply on this host: on its service, and in its log."""
        if isinstance(gaps, list):
            gaps = [gap[:300] for gap in gaps if isinstance(gap, str)][:20]
        else:
            gaps = ["unknown: the replica did not say which protections it applied"]
        if gaps:
            replica.log_event("replica started with these protections off: " + "; ".join(gaps))
        service = self.services.get(replica.service_id)
        if service is None or service.sandbox_gaps != gaps:
            Service.objects.filter(id=replica.service_id).update(sandbox_gaps=gaps)
            if service is not None:
                service.sandbox_gaps = gaps

    def _function(self, service: Service, execution: Execution) -> dict:
        key = (service.package_id, execution.package_revision, service.module_name)
        if key not in self._functions:
            revision = PackageRevision.objects.get(package_id=service.package_id, version=execution.package_revision)
            self._functions[key] = {f["name"]: f for f in revision.module(service.module_name)["functions"]}
        return self._functions[key].get(execution.function_name, {"inputs": []})

    def _assign(self, service: Service, executions: list[Execution]) -> None:
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
                self.lost(replica, "The replica process could not be reached.")
                return


def broken_reason(service: Service, exc: Exception) -> str:
    """What the project is told when its service cannot run (never the server's paths)."""
    if isinstance(exc, CodeUnavailable):
        return str(exc)
    if isinstance(exc, PackageRevision.DoesNotExist):
        return f"Its package revision {service.package_revision} no longer exists."
    if isinstance(exc, OSError):
        return f"Its replica could not be started: {exc.strerror or type(exc).__name__}."
    return f"It could not be run: an unexpected {type(exc).__name__} (the server's log has the details)."
