"""The embedded dispatcher: a thread of the server started by `make run`."""

from __future__ import annotations

import threading

from django.conf import settings

from faas import executor
from runner.dispatcher import Dispatcher

_dispatcher = None


def start_embedded_dispatcher():
    global _dispatcher
    # Scale-out: web processes run no dispatcher; workers do (`manage.py worker`).
    if (
        settings.DATASLOT_DISPATCHER != "embedded"
        or settings.DATASLOT_EXECUTOR != "embedded"
        or _dispatcher is not None
    ):
        return _dispatcher
    _dispatcher = Dispatcher()
    executor.register(_dispatcher.wake)
    threading.Thread(target=_dispatcher.run_forever, name="dataslot-dispatcher", daemon=True).start()
    return _dispatcher
