"""Dataslot settings: everything comes from the environment, with embedded defaults.

With nothing set, Dataslot runs on one machine with no other services: SQLite (WAL)
and media under ``DATASLOT_HOME``, an in-memory channel layer, and the in-process
dispatcher. ``DATABASE_URL`` switches to PostgreSQL and ``REDIS_URL`` to a Redis
channel layer and cache.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from dataslot_server.home import PROJECT_ROOT, encryption_key, home, secret_key


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


DATASLOT_HOME = home()
BASE_DIR = PROJECT_ROOT

# embedded: the server runs executions in a dispatcher thread of its own (`make run`);
# celery: web processes queue them on a Celery broker and workers run them (scale-out).
DATASLOT_EXECUTOR = os.environ.get("DATASLOT_EXECUTOR", "embedded").strip().lower() or "embedded"
SCALE_OUT = DATASLOT_EXECUTOR == "celery"

# Scale-out: every web process and worker shares the keys, so they come from the
# environment (checked when a web process or worker starts: dataslot_server.scaleout).
SECRET_KEY = os.environ.get("DATASLOT_SECRET_KEY", "") if SCALE_OUT else secret_key()
DATASLOT_ENCRYPTION_KEY = os.environ.get("DATASLOT_ENCRYPTION_KEY", "") if SCALE_OUT else encryption_key()
if SCALE_OUT and not SECRET_KEY:
    # Django refuses an empty key anyway; this says which variable to set.
    raise ImproperlyConfigured(
        "Scale-out (DATASLOT_EXECUTOR=celery) needs DATASLOT_SECRET_KEY, the same on every web process and worker."
    )
DEBUG = env_flag("DATASLOT_DEBUG")
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
# Behind a proxy that terminates TLS and sets X-Forwarded-Proto (and X-Forwarded-For, which
# the login throttle then reads: workspace.services.logins). Replicas and workers call the
# API directly over HTTP (DATASLOT_API_URL), so /api/ is not redirected.
DATASLOT_HTTPS = env_flag("DATASLOT_HTTPS")
if DATASLOT_HTTPS:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^api/"]

HOST = os.environ.get("HOST", "127.0.0.1")
PORT = env_int("PORT", 8000)
# How replicas reach the REST API. In the embedded mode that is this server.
DATASLOT_API_URL = (
    os.environ.get("DATASLOT_API_URL") or f"http://{HOST if HOST not in ('0.0.0.0', '::') else '127.0.0.1'}:{PORT}"
)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from our static: no CDN
    "channels",
    "workspace",
    "faas",
    "runner",
    "live",
    "studio",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "dataslot_server.middleware.NoStoreForSignedInPages",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "dataslot_server.middleware.ContentSecurityPolicy",
]

ROOT_URLCONF = "dataslot_server.urls"
ASGI_APPLICATION = "dataslot_server.asgi.application"
WSGI_APPLICATION = "dataslot_server.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PROJECT_ROOT / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

if os.environ.get("DATABASE_URL"):
    try:
        DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
    except Exception as exc:
        raise ImproperlyConfigured(f"DATABASE_URL cannot be read: {exc}") from None
    if "postgresql" in DATABASES["default"]["ENGINE"]:
        # Django's PostgreSQL backend, with prepared statements on every execution's path
        # (dataslot_server/postgresql): prepared from a statement's second run on a
        # connection, or never with DATASLOT_DB_PREPARED=0.
        DATABASES["default"]["ENGINE"] = "dataslot_server.postgresql"
        DATABASES["default"].setdefault("OPTIONS", {})
        DATABASES["default"]["OPTIONS"].setdefault(
            "prepare_threshold", 1 if env_flag("DATASLOT_DB_PREPARED", True) else None
        )
    if SCALE_OUT and "postgresql" in DATABASES["default"]["ENGINE"]:
        # Across machines: a database that cannot be reached says so in seconds, and a
        # connection whose network was cut fails instead of hanging for minutes.
        DATABASES["default"].setdefault("OPTIONS", {})
        for option, value in {
            "connect_timeout": 5,
            "keepalives": 1,
            "keepalives_idle": 5,
            "keepalives_interval": 2,
            "keepalives_count": 3,
            "tcp_user_timeout": 10_000,
        }.items():
            DATABASES["default"]["OPTIONS"].setdefault(option, value)
        # A pool, not persistent connections: under ASGI each request runs on a thread of
        # its own, so a per-thread connection would be a new PostgreSQL backend per request.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # with a pool: a cut connection is replaced
        DATABASES["default"]["OPTIONS"].setdefault(
            "pool",
            {
                "min_size": 2,
                "max_size": int(os.environ.get("DATASLOT_DB_POOL_SIZE", "20")),
                "timeout": 10,
            },
        )
else:
    DATABASES = {
        "default": {
            # Django's SQLite backend, keeping its connections between requests (sqlite/base.py).
            "ENGINE": "dataslot_server.sqlite",
            "NAME": DATASLOT_HOME / "dataslot.sqlite3",
            "OPTIONS": {
                # WAL lets the pages read while the dispatcher writes; IMMEDIATE makes
                # writers queue on the busy timeout instead of failing mid-transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-64000;",
            },
        }
    }
    if os.environ.get("DATASLOT_TEST_SQLITE_NAME"):
        DATABASES["default"]["TEST"] = {"NAME": os.environ["DATASLOT_TEST_SQLITE_NAME"]}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if os.environ.get("REDIS_URL"):
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # channels_redis waits 5 s on each blocking pop; redis-py's own default read
            # timeout is 5 s too, so a quiet websocket died with a timeout. Reads may wait
            # longer than that pop; connecting still fails fast.
            "CONFIG": {
                "hosts": [{"address": os.environ["REDIS_URL"], "socket_timeout": 30, "socket_connect_timeout": 5}],
                "capacity": 5000,
            },
        }
    }
    # The login throttle's counts (workspace.services.logins) must be the same in every web
    # process; Redis away is a miss, not a 500 (dataslot_server/cache.py).
    CACHES = {
        "default": {
            "BACKEND": "dataslot_server.cache.TolerantRedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": "dataslot",
            "OPTIONS": {"socket_timeout": 5, "socket_connect_timeout": 5},
        }
    }
else:
    # A batch of executions sends thousands of events at once; the default capacity (100
    # per channel) would drop most of them for a websocket that is a moment behind.
    # live.layers: channels' own, with its per-receive cleanup bounded to once a second.
    CHANNEL_LAYERS = {"default": {"BACKEND": "live.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 5000}}}

# Where a password is chosen (the admin, `changepassword`, `createsuperuser`), Django's
# rules apply; DATASLOT_WEAK_PASSWORDS=1 lifts them on a machine of one's own. The demo's
# demo/demo is made in code and is not checked.
AUTH_PASSWORD_VALIDATORS = (
    []
    if env_flag("DATASLOT_WEAK_PASSWORDS", False)
    else [
        {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
        {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
        {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
        {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    ]
)

# Failed logins per username and per client address (workspace.services.logins): at this
# many within the lockout, further attempts are refused until it has passed since the last
# counted one.
DATASLOT_LOGIN_FAILURES = env_int("DATASLOT_LOGIN_FAILURES", 10)
DATASLOT_LOGIN_LOCKOUT_SECONDS = env_int("DATASLOT_LOGIN_LOCKOUT_SECONDS", 15 * 60)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [PROJECT_ROOT / "static"]
STATIC_ROOT = DATASLOT_HOME / "collected-static"
MEDIA_URL = "/media/"
# Uploads and package archives. With several web hosts, a directory they all share (an
# NFS or similar mount): a worker fetches code through any of them.
MEDIA_ROOT = (
    Path(os.environ["DATASLOT_MEDIA_ROOT"]) if os.environ.get("DATASLOT_MEDIA_ROOT") else DATASLOT_HOME / "media"
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Request bodies. The server (dataslot_server.serve) refuses a larger body with a 413
# before reading it; JSON bodies, and JSON in form fields, have their own smaller cap
# (dataslot_server.parsers). Uploaded files spool to disk past 2.5 MB.
DATASLOT_MAX_UPLOAD_BYTES = env_int("DATASLOT_MAX_UPLOAD_BYTES", 100 * 1024 * 1024)
DATASLOT_MAX_JSON_BYTES = env_int("DATASLOT_MAX_JSON_BYTES", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = DATASLOT_MAX_JSON_BYTES  # the form fields of a request, files excluded
# A websocket client that reads nothing for this long while messages wait for it is
# disconnected (live/backpressure.py); meanwhile its messages are dropped, not buffered.
DATASLOT_WS_SLOW_CLIENT_SECONDS = env_int("DATASLOT_WS_SLOW_CLIENT_SECONDS", 30)
# Renders a batch of executions as the pages' live HTML rows, per view (live/events.py
# calls it; the pages sit above the live app, so the project names it here).
DATASLOT_LIVE_ROWS_RENDERER = "studio.executions.consumers.live_rows"
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 500

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PARSER_CLASSES": [
        "dataslot_server.parsers.JSONParser",
        "dataslot_server.parsers.FormParser",
        "dataslot_server.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": None,
    "EXCEPTION_HANDLER": "workspace.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Dataslot API",
    "DESCRIPTION": "Datasets, items, annotations, tasks, and the functions bound to UI slots.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # /api/docs/ loads Swagger UI from our own static files: a self-hosted install often
    # cannot reach a CDN (drf-spectacular-sidecar, pinned in requirements.txt).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The schema and its docs page are behind a login, like every page and API.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    # <id:...> path parameters (workspace.ids): the keys a 64-bit signed column can hold.
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}},
    # Every operation's error answers, in one place (workspace/api/schema.py).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "workspace.api.schema.document_errors"],
    "ENUM_NAME_OVERRIDES": {
        "ExecutionStatusEnum": "faas.enums.ExecutionStatus",
        "TaskStatusEnum": "workspace.models.Task.Status",
        "PostActionTypeEnum": "faas.enums.SlotPostActionType",
    },
}

# Images: Pillow refuses anything above this many pixels (decompression bombs).
DATASLOT_MAX_IMAGE_PIXELS = env_int("DATASLOT_MAX_IMAGE_PIXELS", 50_000_000)
DATASLOT_THUMBNAIL_SIZE = 256

# Functions.
DATASLOT_DISPATCHER = os.environ.get("DATASLOT_DISPATCHER", "embedded")  # embedded | off
# Scale-out (DATASLOT_EXECUTOR=celery): the Celery broker, and the leases that let any
# dispatcher reset what a stopped or cut-off worker held (runner/workers.py).
DATASLOT_BROKER_URL = os.environ.get("DATASLOT_BROKER_URL", "")
DATASLOT_WORKER_HEARTBEAT = float(os.environ.get("DATASLOT_WORKER_HEARTBEAT", "2"))
DATASLOT_WORKER_LEASE = float(os.environ.get("DATASLOT_WORKER_LEASE", "10"))
DATASLOT_REQUEUE_AFTER = float(os.environ.get("DATASLOT_REQUEUE_AFTER", "30"))
DATASLOT_TERMINATION_GRACE = float(os.environ.get("DATASLOT_TERMINATION_GRACE", "30"))
# A replica whose __init__ has not finished by then is stopped and its service marked
# broken: executions waiting for it must not wait forever (a download without a timeout).
DATASLOT_REPLICA_START_TIMEOUT = float(os.environ.get("DATASLOT_REPLICA_START_TIMEOUT", "600"))
DATASLOT_MAX_ARCHIVE_BYTES = env_int("DATASLOT_MAX_ARCHIVE_BYTES", 50 * 1024 * 1024)
# A service's replicas per host (numReplicas, the autoscaler's maxReplicas) and runs at once
# per replica: processes and threads on hosts that every tenant shares.
DATASLOT_MAX_REPLICAS = env_int("DATASLOT_MAX_REPLICAS", 32)
DATASLOT_MAX_CONCURRENCY = env_int("DATASLOT_MAX_CONCURRENCY", 100)
# Items in one zip of executions' outputs (the download post-action for several; 2 GiB at most too).
DATASLOT_MAX_ZIP_ITEMS = env_int("DATASLOT_MAX_ZIP_ITEMS", 5000)
# What a package archive may unpack to, checked at push before and while it decompresses
# (faas.packaging; a member compressing more than 200:1 is refused as well).
DATASLOT_MAX_ARCHIVE_UNPACKED_BYTES = env_int("DATASLOT_MAX_ARCHIVE_UNPACKED_BYTES", 200 * 1024 * 1024)
DATASLOT_MAX_ARCHIVE_MEMBER_BYTES = env_int("DATASLOT_MAX_ARCHIVE_MEMBER_BYTES", 100 * 1024 * 1024)
DATASLOT_MAX_ARCHIVE_MEMBERS = env_int("DATASLOT_MAX_ARCHIVE_MEMBERS", 10_000)
# Replicas confine themselves with Landlock (dataslot/runtime/sandbox.py); off only to debug.
DATASLOT_REPLICA_SANDBOX = env_flag("DATASLOT_REPLICA_SANDBOX", True)
# A server run as root starts each service's replicas as uid and gid BASE + service id
# (runner/users.py); 0 keeps them as the server's user.
DATASLOT_REPLICA_UID_BASE = env_int("DATASLOT_REPLICA_UID_BASE", 1_000_000_000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DATASLOT_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        # The pool's own retries: what cannot reach the database says so itself, once.
        "psycopg.pool": {"level": "ERROR"},
    },
}
