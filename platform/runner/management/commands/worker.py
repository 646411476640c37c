"""`manage.py worker`: a scale-out worker (DATASLOT_EXECUTOR=celery) on this machine.

It checks its configuration first (database reachable and migrated to exactly this
code's migrations, broker reachable, keys present, API reachable) and exits 1 with one
line on stderr when something is wrong. Then it runs a Celery worker in this process
(threads pool: each message's thread waits for its execution) beside the dispatcher
thread that runs the replicas (runner/offers.py). With ``--beat`` it also runs Celery beat
for cron triggers (runner/beat.py) on a thread of its own; any number of workers may.
"""

from __future__ import annotations

import os
import socket
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run a scale-out worker: it takes executions from the Celery broker and runs their replicas here."
    requires_system_checks = []  # its own checks, each one line (dataslot_server.scaleout)
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("--name", help="This worker's name (default: worker-<pid>); shown with its host.")
        parser.add_argument(
            "--concurrency",
            type=int,
            default=8,
            help=(
                "Messages this worker holds while their executions wait for a replica's room, all services "
                "together (default 8); what runs at once is what its replicas can run."
            ),
        )
        parser.add_argument("--loglevel", default="WARNING", help="Celery's log level (default WARNING).")
        parser.add_argument(
            "--beat",
            action="store_true",
            help="Also run Celery beat for cron triggers (one beat schedules at a time; more are standbys).",
        )

    def handle(self, *args, name=None, concurrency=8, loglevel="WARNING", beat=False, **options):
        from dataslot_server.scaleout import worker_problem

        problem = worker_problem()
        if problem is None and concurrency < 1:
            problem = "--concurrency must be at least 1."
        if problem:
            sys.stderr.write(f"dataslot worker: {problem}\n")
            sys.exit(1)

        import warnings

        from celery.exceptions import SecurityWarning
        from celery.signals import worker_shutting_down

        # Run as root on purpose: each service's replicas take a user of their own (runner/users.py).
        warnings.filterwarnings("ignore", category=SecurityWarning)

        from dataslot_server.celery_app import QUEUE, TRIGGERS_QUEUE, app
        from runner import tasks
        from runner.offers import WorkerDispatcher

        name = name or f"worker-{os.getpid()}"
        dispatcher = WorkerDispatcher(name=name)
        tasks.serve(dispatcher)
        dispatcher.start()
        scheduler = None
        if beat:
            from celery.beat import EmbeddedService

            scheduler = EmbeddedService(app, thread=True, scheduler_cls="runner.beat:CronTriggerScheduler")
            scheduler.start()

        def stop(**_):
            dispatcher.stop()
            if scheduler is not None:
                scheduler.stop()  # releases beat's lock: a standby takes over at once

        worker_shutting_down.connect(stop, weak=False)
        worker = app.Worker(
            hostname=f"{name}@{socket.gethostname()}",
            pool="threads",
            concurrency=concurrency,
            queues=[QUEUE, TRIGGERS_QUEUE],
            loglevel=loglevel,
            without_mingle=True,
            without_gossip=True,
            optimization="fair",
            quiet=True,
        )
        try:
            worker.start()
        finally:
            dispatcher.stop()
            if dispatcher.thread is not None:
                dispatcher.thread.join(30)
        sys.exit(worker.exitcode or 0)
