"""`manage.py beat`: Celery beat for cron triggers in scale-out mode (runner/beat.py).

It checks its configuration first (database reachable and migrated to this code's
migrations, broker and Redis reachable) and exits 1 with one line on stderr when something
is wrong. Any number may run, on any hosts: one holds beat's Redis lock and schedules, the
others stand by.
"""

from __future__ import annotations

import signal
import sys

from django.core.management.base import BaseCommand


def beat_problem() -> str | None:
    from django.conf import settings

    from dataslot_server.scaleout import _broker_problem, _database_problem, configuration_problem

    if settings.DATASLOT_EXECUTOR != "celery":
        return (
            "Beat runs in scale-out mode only (embedded, the server fires cron triggers): set DATASLOT_EXECUTOR=celery."
        )
    problem = configuration_problem() or _database_problem() or _broker_problem()
    if problem:
        return problem
    from redis import Redis
    from redis.exceptions import RedisError

    from runner.beat import redis_url

    try:
        Redis.from_url(redis_url(), socket_connect_timeout=5, socket_timeout=5).ping()
    except RedisError as exc:
        return f"Redis (REDIS_URL), which holds beat's lock, cannot be reached: {exc}"
    return None


class Command(BaseCommand):
    help = "Run Celery beat for cron triggers (scale-out); one schedules at a time, more are standbys."
    requires_system_checks = []  # its own checks, each one line
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("--loglevel", default="INFO", help="Log level of beat's messages (default INFO).")

    def handle(self, *args, loglevel="INFO", **options):
        problem = beat_problem()
        if problem:
            sys.stderr.write(f"dataslot beat: {problem}\n")
            sys.exit(1)

        import logging

        from celery.beat import Service

        from dataslot_server.celery_app import app

        logging.getLogger("runner.beat").setLevel(loglevel.upper())
        service = Service(app, scheduler_cls="runner.beat:CronTriggerScheduler", remote_control=False)
        # A clean stop releases the lock, so a standby takes over at its next look.
        signal.signal(signal.SIGTERM, lambda *_: service.stop())
        signal.signal(signal.SIGINT, lambda *_: service.stop())
        service.start()
