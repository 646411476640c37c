"""How the functions domain tells whoever runs executions that there is work.

Embedded mode: the dispatcher of this server registers its wake-up here when it starts;
with none registered (tests, management commands) the calls do nothing and the database
still holds every execution for the next dispatcher to find.

Scale-out (``DATASLOT_EXECUTOR=celery``): ``enqueue`` also publishes one Celery message
per execution with the publisher that the runner app registers when it loads
(``runner.apps``, ``runner.tasks.publish``: the runner sits above this app); the database
stays the source of truth, and an execution whose message was lost is published again by
the workers' sweep.
"""

from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import transaction

_listeners: list[Callable[..., None]] = []
_publisher: Callable[..., None] | None = None


def register(listener: Callable[..., None]) -> None:
    """``listener(service=None)``: woken when there is work; ``service`` is (id, config
    version) of the one service whose executions became queued, when that is all that
    happened (a listener that runs an older config of it must look again)."""
    _listeners.append(listener)


def unregister(listener: Callable[..., None]) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def set_publisher(publisher: Callable[..., None]) -> None:
    """``publisher(execution_ids, service=(id, config_version) | None)``: scale-out's broker side."""
    global _publisher
    _publisher = publisher


def notify(*, service: tuple[int, int] | None = None) -> None:
    for listener in list(_listeners):
        listener(service=service)


def enqueue(execution_ids: Iterable[int], *, service=None) -> None:
    """These executions became ``created``: wake the embedded dispatcher, or publish them.

    ``service``: the one service they all belong to, when the caller knows it; its id and
    config version travel in the messages so that a worker that already runs that config
    claims at once, without a full look at the database.
    """
    execution_ids = list(execution_ids)
    if execution_ids and settings.DATASLOT_EXECUTOR == "celery":
        if _publisher is None:
            raise RuntimeError("scale-out without the runner app: nothing publishes executions")
        _publisher(execution_ids, service=None if service is None else (service.id, service.config_version))
    notify(service=None if service is None else (service.id, service.config_version))


def enqueue_on_commit(execution_ids: list[int], *, service=None) -> None:
    # robust: a broker that is down must not turn a committed create into a 500; the
    # execution stays `created` and the sweep publishes it again (DATASLOT_REQUEUE_AFTER).
    transaction.on_commit(lambda: enqueue(execution_ids, service=service), robust=True)
