"""What a service's page reads: its state, replicas, queue, recent executions, activity and log.

The activity over a window is aggregated by the database, whatever the number of
executions: counts per (bucket, status), and the nearest-rank p50/p95 of durations per
bucket with window functions (SQLite >= 3.25 and PostgreSQL both have them). Both read the
service's executions created in the window, which an index on
``Execution(service, created_at)`` serves; a window's older buckets are cached a few
minutes (``STABLE_TTL``), so a poll ranks only the newest minutes (docs/studio.md,
"Service page").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count
from django.http import Http404
from django.utils import timezone

from faas.enums import ExecutionStatus
from faas.models import Execution, ExecutionLog, Service
from runner.models import Worker
from runner.workers import live_workers
from workspace.models import Project

RECENT_EXECUTIONS = 15
LOG_TAIL_BYTES = 16_384
LOG_TAIL_LINES = 60
OUTPUT_TAIL_CHUNKS = 30


class ServiceGone(Http404):
    """The service does not exist (any more) in this project: the page says so plainly."""


@dataclass(frozen=True)
class Window:
    key: str
    label: str
    seconds: int
    bucket_seconds: int
    # The newest runs, at least this many seconds' worth, are counted afresh on every
    # request; older buckets come from a cache (see ``activity``).
    fresh_seconds: int

    @property
    def buckets(self) -> int:
        return self.seconds // self.bucket_seconds


WINDOWS = {
    "hour": Window("hour", "Last hour", 3600, 60, 300),
    "day": Window("day", "Last day", 86_400, 1800, 0),
}


def window_from(value: str | None) -> Window:
    return WINDOWS.get(value or "", WINDOWS["hour"])


def service_get(*, project: Project, service_id: int) -> Service:
    service = Service.objects.filter(project=project, pk=service_id).select_related("package").first()
    if service is None:
        raise ServiceGone(f"Service {service_id} does not exist in this project (any more).")
    return service


def services_of(*, project: Project) -> list[Service]:
    """The project's services, each with ``.queued`` and ``.running`` counts."""
    services = list(Service.objects.filter(project=project).select_related("package").order_by("name"))
    counts = queue_counts(service_ids=[s.pk for s in services])
    for service in services:
        service.queued, service.running = counts.get(service.pk, (0, 0))
    return services


def queue_counts(*, service_ids: list[int]) -> dict[int, tuple[int, int]]:
    """``service id -> (queued, running)``, from the ``(service, status)`` index."""
    result: dict[int, list[int]] = {}
    rows = (
        Execution.objects.filter(
            service_id__in=service_ids, status__in=(ExecutionStatus.CREATED, ExecutionStatus.IN_PROGRESS)
        )
        .values_list("service_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for service_id, status, n in rows:
        result.setdefault(service_id, [0, 0])[0 if status == ExecutionStatus.CREATED else 1] = n
    return {k: (v[0], v[1]) for k, v in result.items()}


@dataclass(frozen=True)
class Replica:
    worker: str
    host: str
    pid: int | None
    ready: bool
    runs: int


def replicas_of(*, service: Service) -> list[Replica]:
    """The service's replicas as their workers last reported them (live workers only)."""
    replicas = []
    workers = Worker.objects.filter(pk__in=live_workers()).only("name", "host", "replicas").order_by("name")
    for worker in workers:
        for r in worker.replicas or []:
            if r.get("serviceId") == service.pk:
                replicas.append(
                    Replica(
                        worker=worker.name,
                        host=worker.host,
                        pid=r.get("pid"),
                        ready=bool(r.get("ready")),
                        runs=int(r.get("runs") or 0),
                    )
                )
    return replicas


def recent_executions(*, service: Service, size: int = RECENT_EXECUTIONS) -> list[Execution]:
    return list(
        Execution.objects.filter(service=service)
        .select_related("creator", "worker", "service")
        .order_by("-created_at")[:size]
    )


def log_tail(*, service: Service) -> list[str]:
    """The last lines of the service's replica log on this server (the embedded dispatcher's;
    a scale-out worker keeps its own). Secrets are redacted when the log is written."""
    path = Path(settings.DATASLOT_HOME) / "logs" / f"service-{service.pk}.log"
    try:
        with path.open("rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - LOG_TAIL_BYTES))
            data = f.read()
    except OSError:
        return []
    lines = data.decode(errors="replace").splitlines()
    if size > LOG_TAIL_BYTES:
        lines = lines[1:]  # the first may be cut
    return lines[-LOG_TAIL_LINES:]


def output_tail(*, executions: list[Execution]) -> list[dict]:
    """The latest captured output of the given (recent) executions, oldest first."""
    ids = [e.pk for e in executions]
    rows = ExecutionLog.objects.filter(execution_id__in=ids).order_by("-id").values("execution_id", "text")
    return list(rows[:OUTPUT_TAIL_CHUNKS])[::-1]


# --- activity over a window ------------------------------------------------------------


def _bucket_sql(window: Window) -> str:
    """The bucket number of ``created_at``: whole seconds since the epoch // bucket size."""
    if connection.vendor == "postgresql":
        return f"CAST(FLOOR(EXTRACT(EPOCH FROM created_at) / {window.bucket_seconds}) AS BIGINT)"
    # SQLite keeps datetimes as ISO text in UTC. julianday() is ~10x faster than
    # strftime('%s'); half a millisecond more keeps float error off a bucket's edge.
    return f"CAST(((julianday(created_at) - 2440587.5) * 86400.0 + 0.0005) / {window.bucket_seconds} AS INTEGER)"


def _duration_sql() -> str:
    if connection.vendor == "postgresql":
        return "EXTRACT(EPOCH FROM (finished_at - started_at))"
    return "((julianday(finished_at) - julianday(started_at)) * 86400.0)"


@dataclass(frozen=True)
class Activity:
    window: Window
    start: datetime  # of the first bucket
    counts: dict[int, dict[str, int]]  # bucket index -> status -> executions
    durations: dict[int, tuple[float, float]]  # bucket index -> (p50, p95) seconds


# The older buckets of a window are cached for STABLE_TTL seconds, split off on a grid of
# STABLE_GRID seconds so that the cache key changes only that often: a day of a busy
# service is ~100k runs, too many to rank on every poll, while mostly the newest move. A
# run older than its window's ``fresh_seconds`` that changes state shows within STABLE_TTL.
STABLE_GRID = 300
STABLE_TTL = 300

Buckets = tuple[dict[int, dict[str, int]], dict[int, tuple[float, float]]]


def _aggregate(*, service: Service, window: Window, since: datetime, until: datetime | None = None) -> Buckets:
    """Counts per (bucket, status) and p50/p95 duration per bucket, keyed by absolute bucket number.

    Plain SQL: the ORM would group by status first, which leads SQLite to the
    ``(service, status)`` index and a scan of every run the service ever had.
    """
    table = Execution._meta.db_table
    where = "service_id = %s AND created_at >= %s"
    params: list = [service.pk, connection.ops.adapt_datetimefield_value(since)]
    if until is not None:
        where += " AND created_at < %s"
        params.append(connection.ops.adapt_datetimefield_value(until))
    bucket = _bucket_sql(window)
    counts_sql = f"SELECT {bucket} AS b, status, COUNT(*) FROM {table} WHERE {where} GROUP BY 1, 2"
    # Nearest rank: the smallest duration whose rank in its bucket reaches p·n.
    ranks_sql = (
        "SELECT b, MIN(CASE WHEN rn >= 0.5 * n THEN d END), MIN(CASE WHEN rn >= 0.95 * n THEN d END) FROM ("
        "SELECT b, d, ROW_NUMBER() OVER (PARTITION BY b ORDER BY d) AS rn, COUNT(*) OVER (PARTITION BY b) AS n FROM ("
        f"SELECT {bucket} AS b, {_duration_sql()} AS d FROM {table} "
        f"WHERE {where} AND started_at IS NOT NULL AND finished_at IS NOT NULL"
        ") AS runs) AS ranked GROUP BY b"
    )
    counts: dict[int, dict[str, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(counts_sql, params)
        for b, status, n in cursor.fetchall():
            counts.setdefault(int(b), {})[status] = n
        cursor.execute(ranks_sql, params)
        durations = {int(b): (float(p50), float(p95)) for b, p50, p95 in cursor.fetchall()}
    return counts, durations


def _at(bucket: int, window: Window) -> datetime:
    return datetime.fromtimestamp(bucket * window.bucket_seconds, tz=UTC)


def activity(*, service: Service, window: Window, now: datetime | None = None) -> Activity:
    now = now or timezone.now()
    size = window.bucket_seconds
    last = int(now.timestamp() // size)
    first = last - window.buckets + 1
    grid = max(size, STABLE_GRID)
    # Buckets before ``split`` are cached; ``split`` moves once per grid step.
    split = int((now.timestamp() - window.fresh_seconds) // grid) * grid // size
    counts, durations = _aggregate(service=service, window=window, since=_at(split, window))
    # The service's creation time keeps a reused id from reading another's cache.
    key = f"service-activity:{service.pk}:{service.created_at.timestamp()}:{window.key}:{split}"
    stable = cache.get(key)
    if stable is None:
        # From the oldest first bucket that any request until the next split can show.
        oldest = split - window.buckets
        stable = _aggregate(service=service, window=window, since=_at(oldest, window), until=_at(split, window))
        cache.set(key, stable, STABLE_TTL)
    old_counts, old_durations = stable
    counts.update({b: v for b, v in old_counts.items() if b >= first})
    durations.update({b: v for b, v in old_durations.items() if b >= first})
    return Activity(
        window=window,
        start=_at(first, window),
        counts={b - first: by for b, by in counts.items()},
        durations={b - first: d for b, d in durations.items()},
    )


def bucket_start(activity: Activity, index: int) -> datetime:
    return activity.start + timedelta(seconds=index * activity.window.bucket_seconds)
