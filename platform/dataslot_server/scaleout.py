"""What scale-out mode (DATASLOT_EXECUTOR=celery) needs, checked when a process starts.

Each problem is one line for the operator. A web process checks its configuration;
a worker (``manage.py worker``) also reaches the database, the broker and the API.
Management commands such as ``migrate`` are not held back.
"""

from __future__ import annotations

import os

from django.conf import settings

WEB = "web"
WORKER = "worker"


def configuration_problem() -> str | None:
    """The first thing wrong with this process's scale-out configuration, or None."""
    if settings.DATASLOT_EXECUTOR not in ("embedded", "celery"):
        return f"DATASLOT_EXECUTOR must be 'embedded' or 'celery', not {settings.DATASLOT_EXECUTOR!r}."
    if settings.DATASLOT_EXECUTOR != "celery":
        return None
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        return (
            "Scale-out (DATASLOT_EXECUTOR=celery) needs PostgreSQL, shared by every web process and worker: "
            "set DATABASE_URL=postgres://... (SQLite is for one machine only)."
        )
    if "redis" not in settings.CHANNEL_LAYERS["default"]["BACKEND"].lower():
        return (
            "Scale-out (DATASLOT_EXECUTOR=celery) needs a Redis channel layer shared by every process: "
            "set REDIS_URL=redis://... (the in-memory layer is for one process only)."
        )
    if not settings.DATASLOT_BROKER_URL:
        return "Scale-out (DATASLOT_EXECUTOR=celery) needs DATASLOT_BROKER_URL (redis://... or amqp://...)."
    if not settings.SECRET_KEY:
        return (
            "Scale-out (DATASLOT_EXECUTOR=celery) needs DATASLOT_SECRET_KEY, the same on every web process and worker."
        )
    if not settings.DATASLOT_ENCRYPTION_KEY:
        return (
            "Scale-out (DATASLOT_EXECUTOR=celery) needs DATASLOT_ENCRYPTION_KEY (a Fernet key), "
            "the same on every web process and worker."
        )
    try:
        from cryptography.fernet import Fernet

        Fernet(settings.DATASLOT_ENCRYPTION_KEY.encode())
    except ValueError:
        return "DATASLOT_ENCRYPTION_KEY is not a Fernet key (32 url-safe base64-encoded bytes)."
    return None


def worker_problem() -> str | None:
    """Everything a worker needs, reachable: the first problem, or None."""
    if settings.DATASLOT_EXECUTOR != "celery":
        return "A worker runs in scale-out mode only: set DATASLOT_EXECUTOR=celery (and its environment)."
    problem = configuration_problem()
    if problem:
        return problem
    if not os.environ.get("DATASLOT_API_URL"):
        return "A worker needs DATASLOT_API_URL, the web API its replicas call (e.g. http://10.0.0.1:8000)."
    return _database_problem() or _broker_problem() or _api_problem()


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _database_problem() -> str | None:
    from django.db import DatabaseError, connection
    from django.db.migrations.loader import MigrationLoader

    where = f"{settings.DATABASES['default'].get('HOST') or 'localhost'}:{settings.DATABASES['default'].get('PORT') or 5432}"
    try:
        if getattr(connection, "pool", None) is not None:
            # One plain connection first: a pool would retry in the background and say
            # only that it timed out, not why.
            import psycopg

            psycopg.connect(**connection.get_connection_params()).close()
        connection.ensure_connection()
        loader = MigrationLoader(connection)  # reads the applied migrations
    except DatabaseError as exc:
        return f"The database ({where}) cannot be reached: {_first_line(exc)}"
    except Exception as exc:
        if type(exc).__module__.startswith("psycopg"):
            return f"The database ({where}) cannot be reached: {_first_line(exc)}"
        return f"The database (DATABASE_URL) cannot be used: {_first_line(exc)}"  # not a database's URL
    ours = set(loader.disk_migrations)
    applied = set(loader.applied_migrations)
    apps = {app for app, _ in ours}
    missing = sorted(f"{a}.{n}" for a, n in ours - applied)
    unknown = sorted(f"{a}.{n}" for a, n in applied - ours if a in apps)
    if unknown:
        return (
            f"The database was migrated by another Dataslot version ({', '.join(unknown[:3])} is not in this code): "
            "run the same Dataslot version on every host."
        )
    if missing:
        return (
            f"The database is not migrated to this Dataslot version ({len(missing)} migrations missing, "
            f"e.g. {missing[0]}): run `manage.py migrate` with this version, or run the database's version here."
        )
    return None


def _broker_problem() -> str | None:
    from dataslot_server.celery_app import app

    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=5)
    except Exception as exc:
        return f"The broker (DATASLOT_BROKER_URL) cannot be reached: {_first_line(exc)}"
    return None


def _api_problem() -> str | None:
    import requests

    try:
        requests.get(settings.DATASLOT_API_URL.rstrip("/") + "/login/", timeout=5, allow_redirects=False)
    except requests.RequestException as exc:
        return f"The API (DATASLOT_API_URL={settings.DATASLOT_API_URL}) cannot be reached: {type(exc).__name__}."
    return None
