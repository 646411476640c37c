"""The dispatcher: moves executions through their states on real replica processes.

One thread, one loop: it waits on the replicas' pipes and a wake-up pipe, applies what
the replicas report, enforces timeouts and termination grace from outside the function,
and hands queued executions to replicas with free capacity (``runner/scheduling.py``),
starting replicas as needed (``runner/spawning.py``). What changes an execution or its
log goes through ``faas.services.executions``. The database is the source of truth:
every dispatcher is a ``runner.Worker`` that heartbeats, and what a dispatcher held when
it stopped answering follows ``on_reset`` once its lease expires (``runner/workers.py``);
queued executions run.

This is the embedded dispatcher of ``make run``; a scale-out worker's differs only in
which executions it takes (``runner/offers.py``).
"""

from __future__ import annotations

import logging
import os
import selectors
import subprocess
import threading
import time
import uuid
from collections import defaultdict, deque

from django.conf import settings
from django.db import connection, transaction

from dataslot.runtime.protocol import MAX_TEXT
from faas.enums import ExecutionStatus
from faas.models import Execution, Service
from faas.services import executions as lifecycle
from faas.trigger_pump import TriggerPump
from runner.replicas import MAX_REJECTED, ReplicaProcess
from runner.scheduling import TRANSIENT, Scheduling
from runner.spawning import HOST_BUSY, HOST_BUSY_BACKOFF, note_sandbox_gaps, start_replica
from runner.workers import Lease, leases_sweep, worker_register, worker_stop

logger = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.1  # at most ten progress events a second per execution
POLL_INTERVAL = 1.0
EXIT_WAIT = 0.5  # what a replica whose channel closed is given to exit
RECONCILE_INTERVAL = 10.0  # how often held runs are checked against what runs here
UNTRACKED_REASON = "Its run was interrupted by a database error on its worker."
# What one run of an execution may log: a chatty function cannot fill the database.
LOG_ENTRIES_PER_RUN = 10_000
LOG_CHARS_PER_RUN = 10_000_000


class Dispatcher(Scheduling):
    executor = "embedded"

    def __init__(self, *, api_url: str | None = None, grace: float | None = None, name: str | None = None):
        self.worker_id = uuid.uuid4().hex
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
        self._unapplied: deque[tuple[ReplicaProcess, dict]] = deque()  # read, not yet applied
        self.services: dict[int, Service] = {}
        self.queued: set[int] = set()  # services that may have queued executions
        self._capacity_freed = False
        self._schedule_due = True
        # Woken by new executions of these services, (id, config version), from any thread:
        # claimed at once when replicas of that config run, without a full look.
        self._new_work: deque[tuple[int, int]] = deque()
        self._look_asked = False  # woken for anything else: a full look
        self._last_poll = 0.0
        self._stop = threading.Event()
        # Held while a turn applies what it read and hands out work (never while it waits): a
        # scale-out worker's message threads claim on it too (runner/offers.py).
        self.turn = threading.Lock()
        self._functions: dict[tuple[int, int, str], dict] = {}
        self.cold_starts: dict[int, float] = {}  # service -> when its first replica was started
        self.host_busy_until: dict[int, float] = {}  # service -> no replica start tried before then

    # --- control ---------------------------------------------------------------------

    def wake(self, service: tuple[int, int] | None = None) -> None:
        if service is None:
            self._look_asked = True
        else:
            self._new_work.append(service)
        try:
            os.write(self._wake_w, b"!")
        except BlockingIOError:
            pass  # already awake

    def stop(self) -> None:
        self._stop.set()
        self.wake()

    def run_forever(self) -> None:
        # Whatever uses this thread's database connection does so on the turn: a scale-out
        # worker's message threads claim with that connection on it (runner/offers.py).
        with self.turn:
            worker_register(worker_id=self.worker_id, name=self.name, executor=self.executor)
            self.lease = self.make_lease()
            self.recover()
            self.lease.start()
        # Triggers' events become executions beside every dispatcher (faas/trigger_pump.py);
        # cron schedules too when embedded, while scale-out workers leave them to beat (runner/beat.py).
        pump = TriggerPump(cron=self.executor == "embedded").start()
        while not self._stop.is_set():
            try:
                self.step()
            except TRANSIENT as exc:
                # The database went away (a blip, a cut network): drop the broken connection
                # so the next turn reconnects, instead of failing on it forever.
                logger.warning("dispatcher: the database is unreachable (%s); retrying", str(exc).strip()[:200])
                with self.turn:
                    connection.close()
                time.sleep(0.5)
            except Exception:
                logger.exception("dispatcher step failed; going on")
                with self.turn:
                    connection.close()
                time.sleep(0.5)
        with self.turn:  # a claim begun before the stop ends first; later ones see the stop
            pump.stop()
            self.lease.stop()
            for replicas in self.replicas.values():
                for replica in replicas:
                    replica.stop()
            try:
                worker_stop(worker_id=self.worker_id)
            except Exception:
                logger.exception("could not record this worker's stop; its lease will expire")
            connection.close()

    def make_lease(self) -> Lease:
        return Lease(worker_id=self.worker_id, snapshot=self.snapshot)

    def snapshot(self) -> tuple[list[dict], int, list[int]]:
        """What this dispatcher runs, for its heartbeat (read from the lease's thread)."""
        replicas = [
            {"serviceId": r.service_id, "pid": r.process.pid, "ready": r.ready, "runs": len(r.runs)}
            for group in list(self.replicas.values())
            for r in list(group)
        ]
        return replicas, sum(r["runs"] for r in replicas), []

    def step(self) -> None:
        ready = self.selector.select(PROGRESS_INTERVAL if self.progress else 0.25)
        with self.turn:
            self._take_turn(ready)

    def _take_turn(self, ready: list) -> None:
        messages: list[tuple[ReplicaProcess, dict]] = []
        dead: list[ReplicaProcess] = []
        heard: list[ReplicaProcess] = []
        for key, _ in ready:
            if key.data is None:
                try:
                    while os.read(self._wake_r, 4096):
                        pass
                except BlockingIOError:
                    pass
                self._take_wake()
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
        # Read messages are applied in order; those a database error interrupted wait for the
        # next turn (a replica's result must not be lost because a progress write failed).
        self._unapplied.extend(messages)
        while self._unapplied:
            replica, message = self._unapplied[0]
            try:
                self.apply(replica, message)
            except TRANSIENT:
                raise
            except Exception:
                # Not the database's blip: applying it again would fail again, and hold the rest.
                logger.exception("service %s: a replica's message could not be applied; dropped", replica.service_id)
            self._unapplied.popleft()
        if self.results:
            self._finish(self.results)
            self.results = []
        for replica in heard:
            if replica.misbehaving:
                self._stop_misbehaving(replica)
        for replica in dead:
            try:
                # Its channel closed: it is exiting, or a function closed the descriptor and
                # lives on, and is stopped (the dispatcher must not wait with it).
                code = replica.process.wait(EXIT_WAIT)
            except subprocess.TimeoutExpired:
                code = None
                replica.kill()
            if code is None:
                started, ran = "closed its channel while starting", "closed its channel to the server and was stopped"
            else:
                started = f"exited while starting (exit code {code})"
                ran = f"process exited unexpectedly (exit code {code})"
            if not replica.ready:
                # It died while starting: starting it again would fail the same way.
                self.broken.setdefault((replica.service_id, replica.config_version), f"the replica {started}.")
            self.lost(replica, f"The replica {ran}.")
        self.flush()
        self.enforce_deadlines()
        now = time.monotonic()
        if now - self._last_reconcile >= RECONCILE_INTERVAL:
            self._last_reconcile = now
            self._reconcile()
        if self._schedule_due or now - self._last_poll >= POLL_INTERVAL:
            self._schedule_due = self._capacity_freed = False
            self._last_poll = now
            self.schedule()
        elif self._capacity_freed or self._fresh_work:
            # Runs ended, or executions of running services came: hand out what is queued,
            # without a full look at the database.
            self._capacity_freed = self._fresh_work = False
            for service_id in list(self.queued):
                self._claim(self.services[service_id])

    _fresh_work = False
    _last_reconcile = 0.0

    def _reconcile(self) -> None:
        """What the database says this dispatcher runs but it no longer knows of follows
        ``on_reset``: a database error in the middle of a reset or a hand-out loses track of
        a run, and nobody else would ever reset it while this dispatcher's lease is alive."""
        known = {eid for group in self.replicas.values() for replica in group for eid in replica.runs}
        known |= {result["id"] for result in self.results}
        held = Execution.objects.filter(status=ExecutionStatus.IN_PROGRESS, holder=self.worker_id)
        for execution_id in held.values_list("id", flat=True):
            if execution_id not in known:
                logger.warning("execution %s: held here but not running; it follows on_reset", execution_id)
                lifecycle.execution_reset(execution_id=execution_id, holder=self.worker_id, reason=UNTRACKED_REASON)

    def _finish(self, results: list[dict]) -> None:
        """Write how runs ended. Kept until written: a database blip raises, and they are
        retried on the next turn (finishing is conditional on the run still being this
        dispatcher's, so one written twice is written once). A result the database refuses
        must not hold the others, nor the loop, forever: each is then written alone, and
        one refused fails with the reason."""
        try:
            lifecycle.executions_finish(holder=self.worker_id, results=results)
            return
        except TRANSIENT:
            raise
        except Exception:
            logger.exception("could not record %d results together; recording them one by one", len(results))
        for result in results:
            try:
                lifecycle.executions_finish(holder=self.worker_id, results=[result])
            except TRANSIENT:
                raise
            except Exception as exc:
                logger.warning("execution %s: its result could not be stored (%s)", result["id"], exc)
                reason = f"Its result could not be stored ({type(exc).__name__}: {str(exc)[:200]})."
                failed = {"id": result["id"], "status": ExecutionStatus.FAILED, "message": reason}
                lifecycle.executions_finish(holder=self.worker_id, results=[failed])

    def _take_wake(self) -> None:
        """After the wake-up pipe was read (so every flag its writers set is seen)."""
        if self._look_asked:
            self._look_asked = False
            self._new_work.clear()
            self._schedule_due = True
            return
        while self._new_work:
            service_id, config_version = self._new_work.popleft()
            service = self.services.get(service_id)
            # A config changed since the last look (an update, a secret's new value): look.
            running = (
                service is not None
                and service.config_version == config_version
                and any(
                    r.config_version == service.config_version and r.draining_since is None and not r.init_failed
                    for r in self.replicas.get(service.id, ())
                )
            )
            if running and service.active and not service.broken_reason:
                self.queued.add(service.id)
                self._fresh_work = True
            else:
                self._schedule_due = True  # a service to look at, or replicas to start

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
            # Noted first: a database error here leaves the message to be applied again.
            note_sandbox_gaps(replica, message.get("sandboxGaps"), self.services.get(replica.service_id))
            replica.confined = True
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
            # No database write here: the result is kept first, and its run's last progress
            # (not yet written) is written with it.
            last = self.progress.pop(execution_id, None)
            self.progress_sent.pop(execution_id, None)
            self.results.append(
                {
                    "id": execution_id,
                    "status": status,
                    "output": message.get("output"),
                    "message": text,
                    "percent": None if last is None else last[0],
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
            try:
                lifecycle.execution_logs_append(lines=self.logs)  # one transaction: all or none
            except TRANSIENT:
                raise  # kept: written on a later turn
            except Exception:
                # Not a blip (an execution deleted with its service meanwhile, say): keeping
                # them would fail every turn. Those of executions still there are kept.
                logger.warning("could not store %d log lines; writing those of live executions", len(self.logs))
                alive = set(Execution.objects.filter(pk__in={eid for eid, _ in self.logs}).values_list("pk", flat=True))
                lines = [(eid, text) for eid, text in self.logs if eid in alive]
                try:
                    lifecycle.execution_logs_append(lines=lines)
                except TRANSIENT:
                    self.logs = lines
                    raise
                except Exception:
                    logger.exception("dropped %d log lines that could not be stored", len(lines))
            self.logs = []
        self._flush_progress()

    def _flush_progress(self) -> None:
        """Each run's latest progress, at most once a ``PROGRESS_INTERVAL`` (a run's last one
        is written with its result)."""
        now = time.monotonic()
        for execution_id in list(self.progress):
            if now - self.progress_sent.get(execution_id, 0) < PROGRESS_INTERVAL:
                continue
            percent, message = self.progress[execution_id]
            try:
                lifecycle.execution_progress(
                    execution_id=execution_id, holder=self.worker_id, percent=percent, message=message
                )
            except TRANSIENT:
                raise  # kept: tried again on a later turn
            except Exception:
                logger.exception("execution %s: its progress could not be stored; dropped", execution_id)
            del self.progress[execution_id]
            self.progress_sent[execution_id] = now

    # --- forced stops ----------------------------------------------------------------

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

    def enforce_deadlines(self) -> None:
        now = time.monotonic()
        start_limit = settings.DATASLOT_REPLICA_START_TIMEOUT
        for replicas in list(self.replicas.values()):
            for replica in list(replicas):
                if not (replica.ready or replica.init_failed) and now - replica.started_at > start_limit:
                    # Its __init__ hangs: executions waiting for it fail, as for an __init__ that raised.
                    self.broken.setdefault(
                        (replica.service_id, replica.config_version),
                        f"its replica did not start within {start_limit:g} s (DATASLOT_REPLICA_START_TIMEOUT).",
                    )
                    self.lost(replica, "Its replica did not start in time.")
                    self._schedule_due = True
                    continue
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
                    holder=self.worker_id,
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

    # --- starting replicas, recovering -------------------------------------------------

    def recover(self) -> None:
        """What stopped workers held follows on_reset (at once if they stopped cleanly, else
        when their lease expires, by the lease's sweep); queued executions will run. Live
        workers' executions, another server's included, are left alone."""
        leases_sweep()

    def _spawn(self, service: Service) -> bool:
        """Start a replica of the service; False when this host has no room for one now
        (its queued executions wait, and it is tried again after ``HOST_BUSY_BACKOFF``)."""
        if time.monotonic() < self.host_busy_until.get(service.id, 0.0):
            return False
        if not self.replicas[service.id]:
            self.cold_starts.setdefault(service.id, time.monotonic())  # its first run waits for it
        try:
            replica = start_replica(service, api_url=self.api_url)
        except OSError as exc:
            if exc.errno not in HOST_BUSY:
                raise
            logger.warning(
                "service %s: no replica started, this host is out of resources (%s); trying again in %g s",
                service.id,
                exc.strerror,
                HOST_BUSY_BACKOFF,
            )
            self.host_busy_until[service.id] = time.monotonic() + HOST_BUSY_BACKOFF
            return False
        self.replicas[service.id].append(replica)
        self.selector.register(replica.process.stdout, selectors.EVENT_READ, (replica, "stdout"))
        self.selector.register(replica.process.stderr, selectors.EVENT_READ, (replica, "stderr"))
        return True
