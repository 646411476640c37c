"""The dispatcher of a scale-out worker: it runs the executions its Celery messages offer.

Each message (``runner.tasks.run_execution``) is handled on a thread of the Celery
worker, which offers its execution here and waits for the outcome. The dispatcher thread
takes offers in, spawns a service's replicas on demand (up to ``numReplicas`` on this
worker; they stay warm), claims exactly the offered executions when a replica has room
(a conditional claim: a duplicate message, or another worker's claim, finds nothing),
and settles each offer as soon as its execution is claimed here, or cannot be. A claimed
execution is the dispatcher's and its lease's from then on, so the message's thread is
free for the next message: a worker's threads hold only executions waiting for room here
(at most ``--concurrency``), which keeps a backlog on the broker, where an idle worker
takes it, instead of in one busy worker.
Everything else (results, logs, progress, deadlines, termination, draining, the sandbox)
is the embedded dispatcher's own code.
"""

from __future__ import annotations

import logging
import math
import os
import signal
import threading
import time
from collections import defaultdict, deque

from django.db import DEFAULT_DB_ALIAS, connection, connections

from faas.enums import ExecutionStatus
from faas.models import Execution, Service
from faas.services import executions as lifecycle
from runner import autoscale
from runner.broker import queue_empty
from runner.code import CodeNotFetched
from runner.dispatcher import POLL_INTERVAL, Dispatcher
from runner.scheduling import TRANSIENT, broken_reason
from runner.workers import Lease, live_workers_beside

logger = logging.getLogger(__name__)

# An offer beyond what this worker's replicas can take soon goes back to the broker after
# this long, so that a backlog of one service does not hold every task thread of a worker
# (other services' messages, or other workers, take the turn). Long enough that a
# saturated cluster does not spend its time handing the same messages round.
PATIENCE = 15.0
# A service this worker cannot run (its code could not be fetched or unpacked, or no
# replica could start: this host's trouble, its disk, its network) is not tried again here
# for this long: its messages go back to the broker for other workers. An execution fails
# here, with the reason, only once every live worker has handed it back.
UNABLE_FOR = 30.0
# How long a message's thread waits for the dispatcher's turn to claim its offer itself,
# before it leaves the offer to the dispatcher thread.
CLAIM_HERE_WAIT = 0.05


def refusals(refused) -> dict[str, float]:
    """Who handed a message back lately, and when, from its ``refused``: [worker, unix
    time] pairs (a bare worker id, from a worker of the version before, counts as now).
    A refusal older than ``UNABLE_FOR`` is forgotten: that worker tries the service again.
    (Hosts' clocks must agree within ``UNABLE_FOR``, as within ``DATASLOT_REQUEUE_AFTER``.)"""
    now = time.time()
    fresh: dict[str, float] = {}
    for item in refused if isinstance(refused, list | tuple) else ():
        if isinstance(item, str):
            worker, at = item, now
        elif (
            isinstance(item, list | tuple)
            and len(item) == 2
            and isinstance(item[0], str)
            and isinstance(item[1], int | float)
        ):
            worker, at = item
        else:
            continue
        if not math.isfinite(at):
            continue
        at = min(at, now)  # a host whose clock runs ahead does not make its refusal last longer
        if now - at < UNABLE_FOR:
            fresh[worker] = max(at, fresh.get(worker, at))
    return fresh


class Offer:
    CLAIMED = "claimed"  # it runs here: the dispatcher and its lease answer for it
    NOT_CLAIMABLE = "not-claimable"  # already taken, finished, terminated, or its service paused
    RELEASED = "released"  # not taken here: to be published again
    REFUSED = "refused"  # this worker cannot run its service now: published again, naming this worker

    def __init__(self, execution_id: int, hint: tuple[int, int] | None = None, refused: dict[str, float] | None = None):
        self.execution_id = execution_id
        # Workers that could not run it lately, and when (unix time): from the message.
        self.refused = refused or {}
        self.since = time.monotonic()
        # (service id, config version) from the message: what the service ran when queued.
        self.hint = hint
        self.service_id: int | None = None
        self.outcome: str | None = None
        self._done = threading.Event()

    def settle(self, outcome: str) -> None:
        if self.outcome is None:
            self.outcome = outcome
            self._done.set()

    def wait(self, alive) -> str:
        while not self._done.wait(1.0):
            if not alive():
                return self.RELEASED
        return self.outcome


class WorkerDispatcher(Dispatcher):
    executor = "celery"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._incoming: deque[Offer] = deque()
        self.offers: dict[int, list[Offer]] = defaultdict(list)
        self.thread: threading.Thread | None = None
        self._last_look = 0.0
        self._unseen = False  # an offer came whose service this worker has not looked at
        # service id -> (config version, reason, until): what this worker cannot run now
        self.unable: dict[int, tuple[int, str, float]] = {}
        self.db = None  # the dispatcher thread's database connection, once it runs

    # --- the task threads' side (any thread) -------------------------------------------

    def offer(self, execution_id: int, *, service_id=None, config_version=None, refused=()) -> Offer:
        hinted = isinstance(service_id, int) and isinstance(config_version, int)
        offer = Offer(execution_id, (service_id, config_version) if hinted else None, refusals(refused))
        self._incoming.append(offer)  # deque: safe across threads
        if not (hinted and self._claim_here(offer)):
            self.wake()
        return offer

    def _claim_here(self, offer: Offer) -> bool:
        """On the message's own thread: when this worker runs the offer's service (the config
        its message names, looked at within a ``POLL_INTERVAL``) with room on a replica, the
        offer is claimed and handed out now, on the dispatcher's turn, without waking the
        dispatcher thread (one hop between threads fewer on every execution's path).
        Whether it was settled; anything else is left to the dispatcher."""
        return self._on_turn(offer, wait=CLAIM_HERE_WAIT, withdraw=False)

    def claim_now(self, execution_id: int, *, service_id, config_version) -> str | None:
        """On the thread that received the message, before Celery makes it a task: its
        execution claimed here now (``Offer.CLAIMED``), or found not claimable (taken,
        ended, its service paused: ``Offer.NOT_CLAIMABLE``), as ``_claim_here`` would. None
        when that cannot be done at once (the dispatcher is on its turn, the service or its
        config is not one this worker runs, no replica has room): nothing was offered, and
        the message goes on as a task. (The receiving thread takes every message: it must
        not wait.)"""
        if not (isinstance(service_id, int) and isinstance(config_version, int)):
            return None
        offer = Offer(execution_id, (service_id, config_version))
        self._on_turn(offer, wait=0, withdraw=True)
        return offer.outcome

    def _on_turn(self, offer: Offer, *, wait: float, withdraw: bool) -> bool:
        if not (self.turn.acquire(timeout=wait) if wait else self.turn.acquire(blocking=False)):
            return False
        if withdraw:
            self._incoming.append(offer)  # on the turn: nobody else ingests it meanwhile
        # The dispatcher thread's own database connection, which it uses on its turn only:
        # this thread's would be taken from the pool and checked for every message.
        own = connections[DEFAULT_DB_ALIAS]
        if self.db is not None:
            connections[DEFAULT_DB_ALIAS] = self.db
        try:
            # Not before the dispatcher's first look, nor once it stops (both on the turn).
            if not self.alive() or time.monotonic() - self._last_look >= POLL_INTERVAL:
                return False
            self._ingest()
            service = self.services.get(offer.service_id)
            if service is None or service.broken_reason or self._unable(service) is not None:
                return False
            self._claim(service)
        except Exception:  # noqa: BLE001 - the dispatcher's turn sees the offer again, and the database
            logger.warning(
                "execution %s: could not be claimed on its message's thread", offer.execution_id, exc_info=True
            )
            connection.close()  # a broken one is opened again on its next use
            return False
        finally:
            if withdraw and offer.outcome is None:
                self._withdraw(offer)
            connections[DEFAULT_DB_ALIAS] = own
            self.turn.release()
        return offer.outcome is not None

    def _withdraw(self, offer: Offer) -> None:
        """An offer that was not settled, taken back (on the turn)."""
        self._ingest()
        offers = self.offers.get(offer.execution_id, [])
        if offer in offers:
            offers.remove(offer)
        if not offers:
            self.offers.pop(offer.execution_id, None)

    def alive(self) -> bool:
        return self.thread is not None and self.thread.is_alive() and not self._stop.is_set()

    def start(self) -> threading.Thread:
        self.thread = threading.Thread(target=self.run_forever, name="dataslot-dispatcher", daemon=True)
        self.thread.start()
        return self.thread

    # --- leases --------------------------------------------------------------------------

    def make_lease(self) -> Lease:
        return Lease(worker_id=self.worker_id, snapshot=self.snapshot, on_lost=self.fence, queue_empty=queue_empty)

    def snapshot(self):
        replicas, running, _ = super().snapshot()
        waiting = [eid for eid, offers in list(self.offers.items()) if offers]
        return replicas, running, waiting

    def fence(self) -> None:
        """Called from the lease's watch thread: the lease is lost, so what runs here may
        already be another's. Its replicas are killed; the loop sees them die and resets."""
        for group in list(self.replicas.values()):
            for replica in list(group):
                if replica.runs and replica.process.poll() is None:
                    try:
                        os.killpg(replica.process.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass

    def run_forever(self) -> None:
        # Shared with the message threads that claim on its turn (``_claim_here``).
        self.db = connections[DEFAULT_DB_ALIAS]
        self.db.inc_thread_sharing()
        try:
            super().run_forever()
        finally:
            # Stopping: what was not taken goes back to the broker; what ran was reset.
            with self.turn:
                self._ingest()
                for eid in list(self.offers):
                    self._settle(eid, Offer.RELEASED)
            if not self._stop.is_set():
                # It died (its start failed: the database was unreachable): a worker that
                # runs nothing must not go on taking messages. It stops, saying so.
                logger.error("the dispatcher stopped unexpectedly: this worker stops (see above)")
                os.kill(os.getpid(), signal.SIGTERM)

    # --- the dispatcher thread's side ------------------------------------------------------

    def _ingest(self) -> None:
        while self._incoming:
            offer = self._incoming.popleft()
            self.offers[offer.execution_id].append(offer)
            service = self.services.get(offer.hint[0]) if offer.hint else None
            if service is not None and service.config_version == offer.hint[1] and service.active:
                offer.service_id = service.id
            else:
                self._unseen = True

    def _settle(self, execution_id: int, outcome: str) -> None:
        for offer in self.offers.pop(execution_id, []):
            offer.settle(outcome)

    def _waiting(self, service_id: int) -> list[int]:
        """Offered, not yet claimed executions of a service, in the order they arrived."""
        waiting = [(offers[0].since, eid) for eid, offers in self.offers.items() if offers[0].service_id == service_id]
        return [eid for _, eid in sorted(waiting)]

    def step(self) -> None:
        super().step()
        with self.turn:
            self._release_stale()

    def _release_stale(self) -> None:
        """Offers this worker cannot take soon go back to the broker after a while."""
        now = time.monotonic()
        for service_id in {o[0].service_id for o in self.offers.values() if o[0].service_id is not None}:
            room = sum(
                r.concurrency - len(r.runs)
                for r in self.replicas.get(service_id, [])
                if r.draining_since is None and not r.init_failed
            )
            for eid in self._waiting(service_id)[max(room, 0) :]:
                if now - self.offers[eid][0].since > PATIENCE:
                    self._settle(eid, Offer.RELEASED)

    def schedule(self) -> None:
        """A full look at the database (offers' executions and services, terminations) once
        a ``POLL_INTERVAL`` or when an offer names a service or config this worker has not
        seen; otherwise offers of services it already runs are claimed at once."""
        self._ingest()
        if self._unseen or time.monotonic() - self._last_look >= POLL_INTERVAL:
            self._look()
        else:
            waiting = {o[0].service_id for o in self.offers.values()}
            self.queued = waiting & set(self.services)
        self._hand_out()

    def _look(self) -> None:
        self._unseen = False
        started = time.monotonic()
        waiting = list(self.offers)
        found = dict(
            Execution.objects.filter(pk__in=waiting, status=ExecutionStatus.CREATED, service__active=True).values_list(
                "id", "service_id"
            )
        )
        for eid in waiting:
            if eid not in found:
                self._settle(eid, Offer.NOT_CLAIMABLE)
            else:
                for offer in self.offers[eid]:
                    offer.service_id = found[eid]
        wanted = set(found.values())
        services = Service.objects.select_related("package", "project")
        self.services = {s.id: s for s in services.filter(id__in=wanted | set(self.replicas))}
        self.queued = {sid for sid in wanted if sid in self.services}
        self._record_start_failures()
        self._retire(self.services)
        self._signal_terminations()
        for service_id, replicas in list(self.replicas.items()):
            # Services with nothing waiting here: the autoscaler may want fewer replicas.
            if service_id not in self.queued and service_id in self.services:
                service = self.services[service_id]
                current = [r for r in replicas if r.config_version == service.config_version]
                running = sum(len(r.runs) for r in current)
                self._scale_down(service, current, autoscale.replicas_wanted(service, queued=0, running=running))
        # Only a look that got through counts as one: while the database cannot be reached,
        # messages go on as tasks instead of being claimed on the thread that receives them.
        self._last_look = started

    def _hand_out(self) -> None:
        for service_id in self.queued.copy():
            service = self.services[service_id]
            if self._unable(service) is not None:
                # Handed back at once to other workers; what every other live worker handed
                # back too is tried here again before it fails (the trouble may have passed).
                if not self._hand_back(service):
                    continue
                self.unable.pop(service.id)
            try:
                self._schedule_service(service, queued=len(self._waiting(service_id)))
            except TRANSIENT as exc:
                logger.warning("service %s: scheduling interrupted (%s); retried on the next pass", service_id, exc)
            except CodeNotFetched as exc:
                self._fail_here(service, str(exc))
            except OSError as exc:
                # A replica could not be started on this worker (its disk, its files): that is
                # this host's trouble, not the service's on every worker.
                self._fail_here(service, broken_reason(service, exc))
            except Exception as exc:
                self._break(service, exc)

    def _schedule_service(self, service: Service, *, queued: int) -> None:
        if service.broken_reason:
            super()._schedule_service(service, queued=queued)
            return
        waiting = self._waiting(service.id)
        current = [
            r for r in self.replicas[service.id] if r.config_version == service.config_version and not r.init_failed
        ]
        room = sum(r.concurrency - len(r.runs) for r in current if r.draining_since is None)
        running = sum(len(r.runs) for r in current)
        # On demand, up to numReplicas, or what the autoscaler wants for the work held here.
        if autoscale.autoscaler_of(service) is None:
            limit = service.num_replicas
        else:
            limit = autoscale.replicas_wanted(service, queued=len(waiting), running=running)
        while room < len(waiting) and len(current) < limit:
            try:
                if not self._spawn(service):
                    break  # this host is out of resources: what it cannot take goes to others after PATIENCE
            except OSError:
                if not current:
                    raise  # nothing here can run them: they fail here, with the reason (_hand_out)
                # Its running replicas take what they have room for; the rest go to others after PATIENCE.
                logger.warning("service %s: no further replica started on this worker", service.id, exc_info=True)
                break
            current.append(self.replicas[service.id][-1])
            room += service.concurrency
        self._scale_down(service, current, limit)
        self._claim(service)

    def _take(self, service: Service, capacity: int) -> list[Execution]:
        wanted = self._waiting(service.id)[:capacity]
        if not wanted:
            self.queued.discard(service.id)
            return []
        claimed = lifecycle.executions_claim(
            service=service,
            limit=capacity,
            holder=self.worker_id,
            only=wanted,
            note=self.cold_start_note(service),
        )
        taken = {e.id for e in claimed}
        for eid in taken:
            self._settle(eid, Offer.CLAIMED)
        for eid in self._gone([eid for eid in wanted if eid not in taken]):
            self._settle(eid, Offer.NOT_CLAIMABLE)  # another worker took it, or it changed
        if not self._waiting(service.id):
            self.queued.discard(service.id)
        return claimed

    def _gone(self, execution_ids: list[int]) -> list[int]:
        """Of executions a claim did not take, those no longer to be run here. The claim skips
        rows another transaction holds at that instant (this worker's own heartbeat marking
        the messages it holds, a sweep): those are still queued, and stay offered."""
        if not execution_ids:
            return []
        queued = Execution.objects.filter(pk__in=execution_ids, status=ExecutionStatus.CREATED, service__active=True)
        still = set(queued.values_list("id", flat=True))
        return [eid for eid in execution_ids if eid not in still]

    def _unable(self, service: Service) -> str | None:
        """Why this worker cannot run the service's current config now, if it tried lately."""
        config_version, reason, until = self.unable.get(service.id, (None, "", 0.0))
        if config_version == service.config_version and time.monotonic() < until:
            return reason
        self.unable.pop(service.id, None)
        return None

    def _hand_back(self, service: Service) -> list[int]:
        """This worker cannot run the service now: its offers that another live worker has
        not handed back yet go back to the broker, naming this worker; returns the others."""
        others = live_workers_beside(self.worker_id)
        for eid in self._waiting(service.id):
            refused = set().union(*(offer.refused for offer in self.offers[eid]))
            if not others <= refused:
                for offer in self.offers[eid]:
                    offer.hint = (service.id, service.config_version)  # the next taker needs no look
                self._settle(eid, Offer.REFUSED)
        waiting = self._waiting(service.id)
        if not waiting:
            self.queued.discard(service.id)
        return waiting

    def _fail_here(self, service: Service, reason: str) -> None:
        """This worker cannot run the service (its code, its disk): the service is not broken
        for every worker, and this worker does not try it again for ``UNABLE_FOR``. Its offers
        go back to the broker; those that every other live worker has handed back already
        fail here, with the reason."""
        logger.warning("service %s cannot run on this worker: %s", service.id, reason)
        self.unable[service.id] = (service.config_version, reason, time.monotonic() + UNABLE_FOR)
        wanted = self._hand_back(service)
        self.queued.discard(service.id)
        if not wanted:
            return
        failed = lifecycle.executions_fail_queued(
            service=service, limit=len(wanted), holder=self.worker_id, message=reason, only=wanted
        )
        taken = {e.id for e in failed}
        for eid in taken | set(self._gone([eid for eid in wanted if eid not in taken])):
            self._settle(eid, Offer.CLAIMED)
