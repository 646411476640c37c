"""Workers' registration, heartbeats and leases: how dispatchers learn that one of them is gone.

Every dispatcher (embedded or scale-out worker) has a ``Worker`` row. A thread of its own
(``Lease``) heartbeats it every ``DATASLOT_WORKER_HEARTBEAT`` seconds and sweeps:

- executions ``in-progress`` on a worker whose heartbeat is older than
  ``DATASLOT_WORKER_LEASE`` seconds (or that stopped) follow ``on_reset``. Times are the
  database's own (``Now()``), so the hosts' clocks do not matter; each reset is
  conditional (still in progress, still that worker's), so two sweepers never both apply it;
- scale-out: ``created`` executions whose message was neither published nor taken by a
  worker for ``DATASLOT_REQUEUE_AFTER`` seconds are published again (a message lost with a
  dead worker or a restarted broker): at once if it was published well before one a worker
  has since taken, otherwise once the broker's queue is empty (it may wait behind a backlog).

A scale-out worker that could not heartbeat for a whole lease has lost it: another
dispatcher may already have reset its executions, so it stops its runs (``on_lost``).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import DateTimeField, ExpressionWrapper, Max, Q, Value
from django.db.models.functions import Now

import dataslot
from faas import executor
from faas.enums import ExecutionStatus
from faas.models import Execution
from faas.services import executions as lifecycle
from runner.models import Worker

logger = logging.getLogger(__name__)

LOST_REASON = "It was running on a worker that stopped answering (restarted, stopped or cut off)."


def _ago(seconds: float):
    return ExpressionWrapper(Now() - Value(timedelta(seconds=seconds)), output_field=DateTimeField())


def worker_register(*, worker_id: str, name: str | None, executor: str) -> Worker:
    host = socket.gethostname()
    return Worker.objects.create(
        id=worker_id,
        name=name or f"{executor}@{host}:{os.getpid()}",
        host=host,
        pid=os.getpid(),
        version=dataslot.__version__,
        executor=executor,
        started_at=Now(),
        heartbeat_at=Now(),
    )


def worker_heartbeat(*, worker_id: str, replicas: list[dict], running: int) -> bool:
    """False when the row is gone or marked stopped (this worker must not go on)."""
    return bool(
        Worker.objects.filter(pk=worker_id, stopped_at__isnull=True).update(
            heartbeat_at=Now(), replicas=replicas, running=running
        )
    )


def worker_stop(*, worker_id: str) -> None:
    """A clean stop: what it still holds follows on_reset now, not after the lease."""
    Worker.objects.filter(pk=worker_id).update(stopped_at=Now(), heartbeat_at=Now(), replicas=[], running=0)
    for execution_id in Execution.objects.filter(status=ExecutionStatus.IN_PROGRESS, holder=worker_id).values_list(
        "id", flat=True
    ):
        lifecycle.execution_reset(
            execution_id=execution_id, holder=worker_id, reason="Its worker stopped while it was running."
        )


def live_workers():
    lease = settings.DATASLOT_WORKER_LEASE
    return Worker.objects.filter(stopped_at__isnull=True, heartbeat_at__gte=_ago(lease)).values("id")


def live_workers_beside(worker_id: str) -> set[str]:
    """The other scale-out workers whose lease stands."""
    others = live_workers().filter(executor=Worker.Executor.CELERY).exclude(pk=worker_id)
    return set(others.values_list("id", flat=True))


def leases_sweep(*, own: str | None = None) -> int:
    """Reset what expired workers held (and anything in progress that names no live worker).

    One statement picks them (live workers as a subquery), so a worker that registers and
    claims meanwhile is never taken for a dead one; each reset checks again, under the
    row's lock, that its holder has not come back (a heartbeat late, not a worker gone).
    ``own``: the sweeping dispatcher, alive by definition, whose runs are never reset here
    (a heartbeat held up by a busy database, say SQLite's lock during a large batch, must
    not reset what the same process is running).
    """
    stale = Execution.objects.filter(status=ExecutionStatus.IN_PROGRESS).exclude(holder__in=live_workers())
    if own is not None:
        stale = stale.exclude(holder=own)
    reset = 0
    for execution_id, holder in list(stale.values_list("id", "holder")):
        done = lifecycle.execution_reset(
            execution_id=execution_id, holder=holder, reason=LOST_REASON, unless_held_by=live_workers()
        )
        reset += done is not None
    return reset


def requeue_sweep(queue_empty: Callable[[], bool]) -> int:
    """Publish again the `created` executions of active services whose message seems lost.

    Untouched for ``DATASLOT_REQUEUE_AFTER`` seconds is not enough while messages wait on
    the broker: they may wait behind a backlog. Workers take messages in the order they
    were published, so a message published well before one a worker has since taken (an
    execution in progress now) is not waiting: it is lost. Anything else untouched is
    published again once the queue is empty. (``published_at`` is when a message was put on
    the broker: a worker holding one touches ``enqueued_at`` only. A wrong guess costs a
    duplicate message, which finds nothing to claim, not a second run.)
    """
    after = settings.DATASLOT_REQUEUE_AFTER
    old = Execution.objects.filter(
        Q(enqueued_at__lt=_ago(after)) | Q(enqueued_at__isnull=True),
        status=ExecutionStatus.CREATED,
        service__active=True,
    )
    if not old.exists():
        return 0
    if not queue_empty():
        running = Execution.objects.filter(status=ExecutionStatus.IN_PROGRESS)
        newest = running.aggregate(at=Max("published_at"))["at"]
        if newest is None:
            return 0
        old = old.filter(published_at__lt=newest - timedelta(seconds=after))
    candidates = list(old.values_list("id", flat=True)[:5000])
    if not candidates:
        return 0
    with transaction.atomic():
        # Conditional: of several sweepers, the one whose update takes a row publishes it.
        taken = list(old.filter(pk__in=candidates).select_for_update(skip_locked=True).values_list("id", flat=True))
        Execution.objects.filter(pk__in=taken).update(enqueued_at=Now(), published_at=Now())
    if taken:
        logger.warning("published %s queued executions again (their messages were lost)", len(taken))
        executor.enqueue(taken)
    return len(taken)


def executions_touch(execution_ids: list[int], *, published: bool = False) -> None:
    """A worker holds these executions' messages (or, ``published``, has just put them on
    the broker again): they are not lost. Rows another transaction holds (a claim) are
    skipped, not waited for: a heartbeat must not block."""
    if not execution_ids:
        return
    stamps = {"enqueued_at": Now(), "published_at": Now()} if published else {"enqueued_at": Now()}
    with transaction.atomic():
        queued = Execution.objects.filter(pk__in=execution_ids, status=ExecutionStatus.CREATED)
        free = list(queued.select_for_update(skip_locked=True).values_list("id", flat=True))
        Execution.objects.filter(pk__in=free).update(**stamps)


class Lease:
    """The heartbeat and the sweeps of one dispatcher, on a thread of their own.

    ``snapshot`` gives (replicas, running, held execution ids) for the heartbeat;
    ``on_lost`` is called once when the lease is lost (scale-out workers stop their runs).
    """

    def __init__(
        self,
        *,
        worker_id: str,
        snapshot: Callable[[], tuple[list[dict], int, list[int]]],
        on_lost: Callable[[], None] | None = None,
        queue_empty: Callable[[], bool] | None = None,
    ):
        self.worker_id = worker_id
        self.snapshot = snapshot
        self.on_lost = on_lost
        self.queue_empty = queue_empty
        self.interval = settings.DATASLOT_WORKER_HEARTBEAT
        self.last_beat = time.monotonic()
        self.lost = False
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._beat_forever, name="dataslot-heartbeat", daemon=True),
            # Sweeps have a thread of their own: one slowed by the broker (down, timing out)
            # must not delay the heartbeat and cost this worker its lease.
            threading.Thread(target=self._sweep_forever, name="dataslot-sweep", daemon=True),
            threading.Thread(target=self._watch, name="dataslot-lease-watch", daemon=True),
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()

    def sweep(self) -> None:
        leases_sweep(own=self.worker_id)
        if self.queue_empty is not None:
            requeue_sweep(self.queue_empty)

    def _beat_forever(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                replicas, running, held = self.snapshot()
                if worker_heartbeat(worker_id=self.worker_id, replicas=replicas, running=running):
                    self.last_beat = time.monotonic()
                    self.lost = False
                executions_touch(held)
            except Exception as exc:
                logger.warning("heartbeat failed (%s); retried", exc)
                connection.close()  # a broken connection is opened afresh next time
        connection.close()

    def _sweep_forever(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.sweep()
            except Exception as exc:
                logger.warning("sweep failed (%s); retried", exc)
                connection.close()
        connection.close()

    def _watch(self) -> None:
        # Its own thread: a heartbeat stuck on a cut network must not keep the runs going.
        # The runs stop a little before the lease ends (two heartbeats' worth, at most a
        # third of it): others may reset them once the database's clock says it ended, and
        # this worker's own clock started from the heartbeat's answer, not its write.
        lease = settings.DATASLOT_WORKER_LEASE
        fence_after = lease - min(2 * self.interval, lease / 3)
        while not self._stop.wait(0.25):
            if not self.lost and time.monotonic() - self.last_beat > fence_after:
                self.lost = True
                logger.error("this worker could not heartbeat for %s s: its lease is lost, its runs stop", lease)
                if self.on_lost is not None:
                    self.on_lost()
