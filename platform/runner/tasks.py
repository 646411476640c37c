"""The Celery side of scale-out: publishing executions, and the task that runs one.

``run_execution`` runs on a thread of a worker (``manage.py worker``): it offers its
execution to that worker's dispatcher (``runner/offers.py``) and waits until it is
claimed here (it then runs beside, on a replica), or cannot be claimed (taken by another,
finished, terminated, its service paused), or is handed back to the broker because this
worker has no room for it soon.
"""

from __future__ import annotations

import logging
import time

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


@app.task(name="runner.tasks.run_execution", ignore_result=True)
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
            run_execution.apply_async((execution_id, *extra), producer=producer, queue=QUEUE)
