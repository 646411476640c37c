"""Cron triggers on Celery beat, in scale-out mode (DATASLOT_EXECUTOR=celery).

``CronTriggerScheduler`` is a ``celery.beat.Scheduler`` whose entries are the database's
cron triggers, read again every ``SYNC_INTERVAL`` s: a trigger created, edited, paused,
resumed or deleted is in the schedule within that. croniter computes the fire times
(``faas.services.trigger_schedule.cron_fire_times``); each is one message,
``fire_cron_trigger(trigger_id, fire_at)``, on the ``dataslot.triggers`` queue that every
worker consumes, and the worker that takes it claims the fire time by its unique row.

Any number of beats may run (``manage.py beat``, or ``manage.py worker --beat``): one holds
a Redis lock (the channel layer's Redis, which scale-out always has) and schedules; the
others wait and one takes over within ``LOCK_TIMEOUT`` s of its stop, sending the fire times
of the last ``LOOKBACK`` not yet run. Should two ever send (a beat stalled past its lock),
the claim still runs each fire time once.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from celery.beat import Scheduler
from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from redis import Redis
from redis.exceptions import LockError, RedisError

from dataslot_server.celery_app import TRIGGERS_QUEUE, app
from faas.services.trigger_schedule import (
    cron_fire_times,
    cron_live,
    cron_next_fire,
    cron_schedule_triggers,
    trigger_cron_fire_at,
)

logger = logging.getLogger(__name__)

LOCK_KEY = "dataslot:beat:lock"
# What the active beat schedules: trigger id -> its next fire time (ISO), for operators and tests.
SCHEDULE_KEY = "dataslot:beat:schedule"
LOCK_TIMEOUT = 5.0  # a standby beat takes over this long after the active one stopped
SYNC_INTERVAL = 1.0  # a trigger's change reaches the schedule within this
LOOKBACK = timedelta(seconds=15)  # what a beat that takes over sends again (the claim drops repeats)


@app.task(name="runner.beat.fire_cron_trigger", ignore_result=True)
def fire_cron_trigger(trigger_id: int, fire_at: str) -> bool:
    """Run one fire time of a cron trigger, on a worker (faas/services/trigger_schedule.py)."""
    moment = parse_datetime(fire_at) if isinstance(fire_at, str) else None
    if moment is None or timezone.is_naive(moment):
        logger.warning("fire_cron_trigger: not a fire time: %r", fire_at)
        return False
    close_old_connections()
    return trigger_cron_fire_at(trigger_id=int(trigger_id), fire_at=moment)


def redis_url() -> str:
    """The channel layer's Redis (scale-out refuses to start without it)."""
    return settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]["address"]


class CronTriggerScheduler(Scheduler):
    """Celery beat's scheduler for cron triggers: ``celery beat -S runner.beat:CronTriggerScheduler``."""

    def __init__(self, *args, **kwargs):
        self._redis = None
        self._lock = None
        self.active = False  # holds the lock
        self._triggers: list = []
        self._sent_until: dict[int, datetime] = {}  # trigger id -> fire times up to here are sent
        self._synced_at: float | None = None
        super().__init__(*args, **kwargs)

    def setup_schedule(self):
        pass  # the entries are the database's cron triggers, not app.conf.beat_schedule

    def tick(self, *args, **kwargs) -> float:
        """One look; returns the seconds to sleep before the next."""
        try:
            if not self._hold_lock():
                return SYNC_INTERVAL
            now = timezone.now()
            if self._synced_at is None or time.monotonic() - self._synced_at >= SYNC_INTERVAL:
                self._sync(now)
            return self._send_due(now)
        except Exception:
            # The database, Redis or the broker away: this look is skipped, the next retries.
            logger.exception("beat: a look at the cron triggers failed; retried")
            connection.close()
            return SYNC_INTERVAL

    def _hold_lock(self) -> bool:

        if self._lock is None:
            self._redis = Redis.from_url(redis_url(), socket_timeout=LOCK_TIMEOUT / 2, socket_connect_timeout=2)
            self._lock = self._redis.lock(LOCK_KEY, timeout=LOCK_TIMEOUT, thread_local=False)
        try:
            if self.active:
                self._lock.extend(LOCK_TIMEOUT, replace_ttl=True)
                return True
            self.active = self._lock.acquire(blocking=False)
        except LockError:
            logger.warning("beat: another beat took the lock; this one waits")
            self._stand_by()
        except RedisError as exc:
            logger.warning("beat: Redis is unreachable (%s); scheduling paused", exc)
            self._stand_by()
        else:
            if self.active:
                logger.info("beat: holding the lock, scheduling cron triggers")
        return self.active

    def _stand_by(self) -> None:
        self.active = False
        self._sent_until.clear()
        self._triggers = []
        self._synced_at = None

    def _sync(self, now: datetime) -> None:
        triggers = list(cron_schedule_triggers())
        sent_until = {}
        for trigger in triggers:
            if not cron_live(trigger):
                sent_until[trigger.pk] = now  # a paused trigger's fire times are skipped, not caught up
            elif trigger.pk in self._sent_until:
                sent_until[trigger.pk] = self._sent_until[trigger.pk]
            else:  # new, or this beat just took over: what ran is in last_fired_at
                sent_until[trigger.pk] = max(trigger.last_fired_at or now - LOOKBACK, now - LOOKBACK)
        self._triggers = [t for t in triggers if cron_live(t)]
        self._sent_until = sent_until  # deleted triggers leave the schedule here
        self._synced_at = time.monotonic()

    def _send_due(self, now: datetime) -> float:
        wait = SYNC_INTERVAL
        schedule = {}
        for trigger in self._triggers:
            try:
                for fire_at in cron_fire_times(trigger, after=self._sent_until[trigger.pk], until=now):
                    fire_cron_trigger.apply_async(
                        (trigger.pk, fire_at.isoformat()), producer=self.producer, queue=TRIGGERS_QUEUE
                    )
                    self._sent_until[trigger.pk] = fire_at
                self._sent_until[trigger.pk] = now
                upcoming = cron_next_fire(trigger, after=now)
            except (ValueError, KeyError) as exc:  # a schedule croniter accepted once and not now
                logger.warning("beat: trigger %s: cannot compute its schedule (%s)", trigger.pk, exc)
                continue
            if upcoming is not None:
                schedule[str(trigger.pk)] = upcoming.isoformat()
                wait = min(wait, (upcoming - now).total_seconds())
        self._publish_schedule(schedule)
        # Woken for the next sync too, so changes keep to SYNC_INTERVAL whatever the schedules.
        next_sync = self._synced_at + SYNC_INTERVAL - time.monotonic()
        return max(min(wait, next_sync), 0.01)

    def _publish_schedule(self, schedule: dict[str, str]) -> None:
        with self._redis.pipeline() as pipe:
            pipe.delete(SCHEDULE_KEY)
            if schedule:
                pipe.hset(SCHEDULE_KEY, mapping=schedule)
                pipe.expire(SCHEDULE_KEY, int(LOCK_TIMEOUT * 2))
            pipe.execute()

    def close(self):
        if self.active and self._lock is not None:
            try:
                self._lock.release()  # a standby takes over at its next look, not after the timeout
            except RedisError:
                pass
        self.active = False
        super().close()

    @property
    def info(self):
        return f"cron triggers from the database, lock {LOCK_KEY}"
