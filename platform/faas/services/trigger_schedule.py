"""Cron triggers: which fire times of a schedule run, each exactly once.

Embedded: ``triggers_cron_fire`` (the trigger pump's, faas/trigger_pump.py) runs the
schedule's latest due fire time of each active cron trigger; a conditional update of
``last_fired_at`` and the unique ``(trigger, fire_at)`` row claim it, so any number of
dispatchers may call it and each fire time runs once. Scale-out: Celery beat
(``runner/beat.py``) sends each fire time of ``cron_fire_times`` as a message and a worker
runs ``trigger_cron_fire_at``; the unique row claims it, so two beats, or a message
delivered twice, still run it once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from croniter import croniter
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework.exceptions import APIException

from faas.enums import TriggerType
from faas.models import Trigger, TriggerFire
from faas.services.executions import executions_create_batch

logger = logging.getLogger(__name__)

# A cron fire time missed by more than this (the service was paused, every dispatcher was
# down) is skipped rather than run late.
MISFIRE_GRACE = timedelta(seconds=60)
# Beat's fire times (``trigger_cron_fire_at``) are claimed by their unique row alone, as
# their messages may arrive in any order; a row is kept this long, then pruned as the
# trigger fires again. A message older than MISFIRE_GRACE is refused anyway, so a row that
# outlives the grace is all "exactly once" needs.
FIRE_RETENTION = timedelta(hours=1)


def _due(trigger: Trigger, now: datetime) -> datetime | None:
    """The schedule's latest fire time at or before ``now`` that should run, or None."""
    if trigger.end_at and now > trigger.end_at:
        now = trigger.end_at
    # croniter's get_prev is strictly before its base: start a second later so that a fire
    # time equal to ``now`` counts, and step back past anything after ``now``.
    schedule = croniter(trigger.cron, now + timedelta(seconds=1))
    fire_at = schedule.get_prev(datetime)
    while fire_at > now:
        fire_at = schedule.get_prev(datetime)
    floor = max(trigger.created_at, trigger.start_at or trigger.created_at)
    if fire_at < floor or now - fire_at > MISFIRE_GRACE:
        return None
    if trigger.last_fired_at and fire_at <= trigger.last_fired_at:
        return None
    return fire_at


def triggers_cron_fire(*, now: datetime | None = None) -> int:
    """Run every cron trigger whose fire time has come; safe to call from any number of
    dispatchers at once. Returns how many fire times this call ran."""
    now = now or timezone.now()
    fired = 0
    due_triggers = Trigger.objects.filter(type=TriggerType.CRON, active=True, service__active=True).select_related(
        "service__package", "service__project"
    )
    for trigger in due_triggers:
        try:
            fire_at = _due(trigger, now)
        except (ValueError, KeyError) as exc:  # a schedule croniter accepted once and not now
            logger.warning("trigger %s: cannot compute its schedule (%s)", trigger.pk, exc)
            continue
        if fire_at is None:
            continue
        try:
            with transaction.atomic():
                # The claim: only one caller moves last_fired_at past this fire time.
                claimed = (
                    Trigger.objects.filter(pk=trigger.pk, active=True)
                    .filter(Q(last_fired_at__isnull=True) | Q(last_fired_at__lt=fire_at))
                    .update(last_fired_at=fire_at)
                )
                if not claimed:
                    continue
                TriggerFire.objects.create(trigger=trigger, fire_at=fire_at)
                TriggerFire.objects.filter(trigger=trigger, fire_at__lt=fire_at).delete()
                executions_create_batch(
                    service=trigger.service,
                    function_name=trigger.function_name,
                    inputs=[trigger.inputs],
                    trigger=trigger,
                )
                fired += 1
        except IntegrityError:
            continue  # another dispatcher ran this fire time
        except (ValidationError, APIException) as exc:
            logger.warning("trigger %s: could not queue its run (%s)", trigger.pk, exc)
    return fired


# --- cron on Celery beat (scale-out) -------------------------------------------------------

MAX_FIRE_TIMES = 1000  # fire times computed at once: a lookback never floods the broker


def cron_schedule_triggers():
    """Every cron trigger with what beat needs to schedule it (paused ones too: beat skips
    their fire times rather than catching up on them after the resume)."""
    return (
        Trigger.objects.filter(type=TriggerType.CRON)
        .select_related("service")
        .only("id", "cron", "start_at", "end_at", "created_at", "last_fired_at", "active", "service__active")
    )


def cron_live(trigger: Trigger) -> bool:
    return trigger.active and trigger.service.active


def cron_fire_times(trigger: Trigger, *, after: datetime, until: datetime) -> list[datetime]:
    """The schedule's fire times in ``(after, until]`` that may run: none before the trigger
    was created or its startAt, none after its endAt."""
    floor = max(trigger.created_at, trigger.start_at or trigger.created_at)
    if trigger.end_at and until > trigger.end_at:
        until = trigger.end_at
    # get_next is strictly after its base: a microsecond before the floor lets the floor count.
    schedule = croniter(trigger.cron, max(after, floor - timedelta(microseconds=1)))
    times: list[datetime] = []
    while len(times) < MAX_FIRE_TIMES:
        fire_at = schedule.get_next(datetime)
        if fire_at > until:
            break
        times.append(fire_at)
    return times


def cron_next_fire(trigger: Trigger, *, after: datetime) -> datetime | None:
    """The schedule's first fire time after ``after`` (None past its endAt)."""
    floor = max(trigger.created_at, trigger.start_at or trigger.created_at)
    fire_at = croniter(trigger.cron, max(after, floor - timedelta(microseconds=1))).get_next(datetime)
    return None if trigger.end_at and fire_at > trigger.end_at else fire_at


def trigger_cron_fire_at(*, trigger_id: int, fire_at: datetime, now: datetime | None = None) -> bool:
    """Run one fire time a beat sent, unless it ran already, the trigger or its service is
    paused or gone, it is not on the schedule, or it is later than MISFIRE_GRACE. Returns
    whether this call ran it."""
    now = now or timezone.now()
    trigger = (
        Trigger.objects.filter(pk=trigger_id, type=TriggerType.CRON)
        .select_related("service__package", "service__project")
        .first()
    )
    if trigger is None or not cron_live(trigger):
        return False
    if now - fire_at > MISFIRE_GRACE:
        logger.warning("trigger %s: fire time %s skipped, %s late", trigger.pk, fire_at.isoformat(), now - fire_at)
        return False
    try:
        if cron_fire_times(trigger, after=fire_at - timedelta(microseconds=1), until=fire_at) != [fire_at]:
            logger.warning("trigger %s: %s is not one of its fire times", trigger.pk, fire_at.isoformat())
            return False
        with transaction.atomic():
            # The claim: the unique (trigger, fire_at) row, whichever message comes first.
            TriggerFire.objects.create(trigger=trigger, fire_at=fire_at)
            Trigger.objects.filter(pk=trigger.pk).filter(
                Q(last_fired_at__isnull=True) | Q(last_fired_at__lt=fire_at)
            ).update(last_fired_at=fire_at)
            TriggerFire.objects.filter(trigger=trigger, fire_at__lt=fire_at - FIRE_RETENTION).delete()
            executions_create_batch(
                service=trigger.service, function_name=trigger.function_name, inputs=[trigger.inputs], trigger=trigger
            )
    except IntegrityError:
        return False  # another message of this fire time ran it
    except (ValueError, KeyError) as exc:  # a schedule croniter accepted once and not now
        logger.warning("trigger %s: cannot compute its schedule (%s)", trigger.pk, exc)
        return False
    except (ValidationError, APIException) as exc:
        logger.warning("trigger %s: could not queue its run (%s)", trigger.pk, exc)
        return False
    return True
