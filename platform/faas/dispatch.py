"""How the functions domain tells whoever runs executions that there is work.

Embedded mode: the dispatcher of this server registers its wake-up here when it starts;
with none registered (tests, management commands) the calls do nothing and the database
still holds every execution for the next dispatcher to find.

Scale-out (``DATASLOT_EXECUTOR=celery``): ``enqueue`` also publishes one Celery message
per execution (``runner.tasks``); the database stays the source of truth, and an
execution whose message was lost is published again by the workers' sweep.
"""

from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import transaction

_listeners: list[Callable[[], None]] = []


def register(listener: Callable[[], None]) -> None:
    _listeners.append(listener)


def unregister(listener: Callable[[], None]) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def notify() -> None:
    for listener in list(_listeners):
        listener()


def enqueue(execution_ids: Iterable[int], *, service=None) -> None:
    """These executions became ``created``: wake the embedded dispatcher, or publish them.

    ``service``: the one service they all belong to, when the caller knows it; its id and
    config version travel in the messages so that a worker that already runs that config
    claims at once, without a full look at the database.
    """
    execution_ids = list(execution_ids)
    if execution_ids and settings.DATASLOT_EXECUTOR == "celery":
        from runner.tasks import publish  # the runner app owns the broker's side

        publish(execution_ids, service=None if service is None else (service.id, service.config_version))
    notify()


def enqueue_on_commit(execution_ids: list[int], *, service=None) -> None:
    # robust: a broker that is down must not turn a committed create into a 500; the
    # execution stays `created` and the sweep publishes it again (DATASLOT_REQUEUE_AFTER).
    transaction.on_commit(lambda: enqueue(execution_ids, service=service), robust=True)
