"""The Celery side of scale-out: publishing executions, and the task that runs one.

``run_execution`` runs on a thread of a worker (``manage.py worker``): it offers its
execution to that worker's dispatcher (``runner/offers.py``) and waits until it is
claimed here (it then runs beside, on a replica), or cannot be claimed (taken by another,
finished, terminated, its service paused), or is handed back to the broker because this
worker has no room for it soon.

Most messages never become a task: ``claim_on_receipt``, the task's Celery strategy,
claims the execution on the thread that received its message when that can be done at
once (the common case: a service this worker runs, with room), and acknowledges it. What
Celery does for a task between receiving its message and running it on a pool thread
(its request, the pool's hop between threads, its signals and acknowledgement) took about
half a millisecond of every execution's path.
"""

from __future__ import annotations

import logging
import time

from celery.worker.strategy import default as default_strategy

from dataslot_server.celery_app import QUEUE, app
from runner.offers import Offer
from runner.workers import executions_touch

logger = logging.getLogger(__name__)

_dispatcher = None  # this worker's WorkerDispatcher (set by `manage.py worker`)


def serve(dispatcher) -> None:
    global _dispatcher
    _dispatcher = dispatcher


# A worker that cannot run an execution's service holds its message this long before handing
# it back: while it cannot run them, its task threads take fewer messages, and others more.
# A message it already handed back lately came round again (the others are busy, or cannot
# run it either): it holds that one longer, so that it does not keep it circling.
REFUSED_PAUSE = 0.5
REFUSED_AGAIN_PAUSE = 2.0
ARGSREPR_MAX = 1024  # Celery's own bound on a message's repr of its arguments


def claim_on_receipt(task, app, consumer, **options):
    """``run_execution``'s Celery strategy (``Task.Strategy``): called by the worker's
    consumer for each message, on its one receiving thread. A message whose execution the
    dispatcher claims at once (or finds taken or ended) is acknowledged and done; any
    other goes on as a task (Celery's own strategy), and so does every message while
    Celery's task events are on (``celery events``; Flower turns them on as it runs), so
    that those tools see each one, and a message Celery was told to revoke."""
    as_task = default_strategy(task, app, consumer, **options)
    eventer = consumer.event_dispatcher
    revoked = consumer.controller.state.revoked
    connection_errors = consumer.connection_errors

    def task_events() -> bool:
        # Asked for each message: remote control turns them on and off while the worker runs.
        # The worker's own events (its heartbeats, Flower's worker list) are not task events.
        groups = eventer.groups if eventer is not None else None
        return bool(eventer is not None and eventer.enabled and task.send_events and (not groups or "task" in groups))

    def on_message(message, body, ack, reject, callbacks, **kwargs):
        dispatcher = _dispatcher
        headers = message.headers or {}
        if (
            dispatcher is not None
            and dispatcher.alive()
            and not (headers.get("eta") or headers.get("expires") or headers.get("id") in revoked)
            and not task_events()
        ):
            outcome = None
            try:
                args, kw, _ = message.decode()
                call = dict(zip(("execution_id", "service_id", "config_version", "refused"), args, strict=False))
                call.update(kw)
                if not call.get("refused"):
                    outcome = dispatcher.claim_now(
                        int(call["execution_id"]),
                        service_id=call.get("service_id"),
                        config_version=call.get("config_version"),
                    )
            except Exception:  # noqa: BLE001 - a message this cannot read goes on as a task, which says why
                outcome = None
            if outcome is not None:
                ack(logger, connection_errors)
                return None
        return as_task(message, body, ack, reject, callbacks, **kwargs)

    return on_message


@app.task(name="runner.tasks.run_execution", ignore_result=True, Strategy="runner.tasks:claim_on_receipt")
def run_execution(
    execution_id: int,
    service_id: int | None = None,
    config_version: int | None = None,
    refused: list | None = None,
) -> str:
    """``service_id`` and ``config_version`` (what the service ran when the execution was
    queued) let a worker already running that config claim without a full look.
    ``refused``: the workers that could not run its service (their own trouble), each as
    [worker id, unix time] (``runner.offers.refusals``)."""
    dispatcher = _dispatcher
    if dispatcher is None:
        # A plain `celery worker` has no dispatcher: hand the message back, slowly.
        logger.error("run workers with `manage.py worker`: this process has no dispatcher")
        time.sleep(5)
        outcome = Offer.RELEASED
    elif not dispatcher.alive():
        time.sleep(1)  # handed back slowly: this worker is stopping (or broken), not a hot loop
        outcome = Offer.RELEASED
    else:
        offer = dispatcher.offer(
            int(execution_id), service_id=service_id, config_version=config_version, refused=refused or ()
        )
        outcome = offer.wait(dispatcher.alive)
    service = None if service_id is None else (service_id, config_version)
    if outcome == Offer.REFUSED:
        time.sleep(REFUSED_AGAIN_PAUSE if dispatcher.worker_id in offer.refused else REFUSED_PAUSE)
        refused = sorted({**offer.refused, dispatcher.worker_id: time.time()}.items())
        publish([int(execution_id)], service=offer.hint or service, refused=[list(r) for r in refused])
        executions_touch([int(execution_id)], published=True)
    elif outcome == Offer.RELEASED:
        publish([int(execution_id)], service=service)
        executions_touch([int(execution_id)], published=True)
    return outcome


def publish(execution_ids: list[int], *, service: tuple[int, int] | None = None, refused: list = ()) -> None:
    """One message per execution, on one broker connection. ``service``: (id, config
    version) of the one service they all belong to, when known; ``refused``: the workers
    that could not run it."""
    extra = () if service is None else tuple(service)
    if refused:
        extra = (*(extra or (None, None)), list(refused))
    with app.producer_or_acquire() as producer:
        for execution_id in execution_ids:
            args = (execution_id, *extra)
            # The arguments' repr (what Flower shows) made here: numbers and a list, which
            # need none of Celery's bounded repr (a tenth of publishing a message); bounded too.
            argsrepr = repr(args)[:ARGSREPR_MAX]
            run_execution.apply_async(args, producer=producer, queue=QUEUE, argsrepr=argsrepr, kwargsrepr="{}")
