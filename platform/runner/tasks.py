"""The Celery side of scale-out: publishing executions, and the task that runs one.

``run_execution`` runs on a thread of a worker (``manage.py worker``): it offers its
execution to that worker's dispatcher (``runner/offers.py``) and waits until it has
run here, or cannot be claimed (taken by another, finished, terminated, its service
paused), or is handed back to the broker because this worker has no room for it soon.
"""

from __future__ import annotations

import logging
import time

from dataslot_server.celery_app import QUEUE, app

logger = logging.getLogger(__name__)

_dispatcher = None  # this worker's WorkerDispatcher (set by `manage.py worker`)


def serve(dispatcher) -> None:
    global _dispatcher
    _dispatcher = dispatcher


@app.task(name="runner.tasks.run_execution", ignore_result=True)
def run_execution(execution_id: int) -> str:
    from runner.offers import Offer

    dispatcher = _dispatcher
    if dispatcher is None:
        # A plain `celery worker` has no dispatcher: hand the message back, slowly.
        logger.error("run workers with `manage.py worker`: this process has no dispatcher")
        time.sleep(5)
        outcome = Offer.RELEASED
    elif not dispatcher.alive():
        outcome = Offer.RELEASED
    else:
        outcome = dispatcher.offer(int(execution_id)).wait(dispatcher.alive)
    if outcome == Offer.RELEASED:
        from runner.workers import executions_touch

        publish([int(execution_id)])
        executions_touch([int(execution_id)])
    return outcome


def publish(execution_ids: list[int]) -> None:
    """One message per execution, on one broker connection."""
    with app.producer_or_acquire() as producer:
        for execution_id in execution_ids:
            run_execution.apply_async((execution_id,), producer=producer, queue=QUEUE)


def queue_empty() -> bool:
    """Whether no message waits on the broker's queue (messages a worker holds not counted)."""
    with app.connection_for_read() as connection:
        try:
            _, count, _ = connection.default_channel.queue_declare(queue=QUEUE, passive=True)
        except connection.channel_errors:
            return True  # no such queue yet: nothing waits on it
    return count == 0
