"""The trigger pump: a thread beside every dispatcher (embedded, or each scale-out worker)
that turns the triggers' outbox into executions, and, embedded only, fires cron triggers
(in scale-out Celery beat schedules them: runner/beat.py).

It wakes when this process commits an event (``wake``, on commit) and at least every
``INTERVAL`` seconds (events committed by other processes: scale-out web processes run no
dispatcher, so a worker's pump finds their events within that interval). Any number of
pumps may run against one database: outbox rows are claimed with ``SKIP LOCKED`` and each
cron fire time by a conditional update and a unique row (faas/services/trigger_schedule.py).
"""

from __future__ import annotations

import logging
import threading

from django.db import connection

from faas.services.trigger_events import outbox_listen, outbox_unlisten, trigger_events_process
from faas.services.trigger_schedule import triggers_cron_fire

logger = logging.getLogger(__name__)

INTERVAL = 1.0


class TriggerPump:
    def __init__(self, *, interval: float = INTERVAL, cron: bool = True):
        self.interval = interval
        self.cron = cron
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dataslot-trigger-pump", daemon=True)

    def start(self) -> TriggerPump:
        outbox_listen(self.wake)  # woken when this process commits an event
        self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        outbox_unlisten(self.wake)

    def turn(self) -> None:
        # Batches until the outbox is empty: a storm becomes executions CHUNK entities at a time.
        while not self._stop.is_set() and trigger_events_process():
            pass
        if self.cron:
            triggers_cron_fire()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.turn()
            except Exception:
                # A database blip or a bug must not end the pump; the outbox keeps the events.
                logger.exception("trigger pump turn failed; retried")
                connection.close()
        connection.close()
