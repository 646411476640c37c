"""The Celery app of scale-out mode (DATASLOT_EXECUTOR=celery).

Celery is the transport, the database the source of truth: one message per `created`
execution (``runner.tasks.run_execution``), acknowledged when a worker takes it (a long
run is never delivered twice, whatever the broker's redelivery window), and published
again by the workers' sweep if it was lost. Cron triggers' fire times come from beat
(``runner/beat.py``) on a queue of their own, so they do not wait behind a backlog of
executions. Workers run with ``manage.py worker``, beat with ``manage.py beat``; Flower and the
``celery`` command take ``-A dataslot_server.celery_app``.
"""

import os
import sys
from pathlib import Path

# platform/ is a source root, not a package (the stdlib `platform` must stay importable).
_ROOT = Path(__file__).resolve().parents[2]
for _path in (str(_ROOT), str(_ROOT / "platform")):
    if _path not in sys.path:
        sys.path.insert(0, _path)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dataslot_server.settings")

from celery import Celery  # noqa: E402
from django.conf import settings  # noqa: E402

QUEUE = "dataslot.executions"
TRIGGERS_QUEUE = "dataslot.triggers"


def transport_for(broker_url: str) -> str | None:
    """A Redis broker (not TLS: kombu's own for rediss) uses ``redis_transport``."""
    scheme = broker_url.partition("://")[0].lower()
    return "dataslot_server.redis_transport:Transport" if scheme == "redis" else None


app = Celery("dataslot", include=["runner.tasks", "runner.beat"])
app.conf.update(
    broker_url=settings.DATASLOT_BROKER_URL or None,
    broker_transport=transport_for(settings.DATASLOT_BROKER_URL),
    broker_connection_retry_on_startup=True,
    broker_connection_timeout=5,
    task_default_queue=QUEUE,
    task_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    result_backend=None,
    task_acks_late=False,  # taken = acknowledged: no redelivery of a long run
    worker_prefetch_multiplier=1,
    # A publish that cannot reach the broker gives up quickly: the sweep publishes again.
    task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5},
    worker_hijack_root_logger=False,
    worker_redirect_stdouts=False,
    timezone="UTC",
    task_routes={"runner.beat.fire_cron_trigger": {"queue": TRIGGERS_QUEUE}},
    beat_scheduler="runner.beat:CronTriggerScheduler",
)


def celery_app():
    """The app, with Django set up (for the ``celery`` command and Flower)."""
    import django

    django.setup()
    return app
