"""A scale-out cluster for tests: PostgreSQL, Redis and a broker of its own, web processes
and Celery workers (`manage.py worker`), on this machine or on separate hosts (hosts.py).

Every cluster is isolated from every other one running at the same time: a fresh
PostgreSQL database (a copy of one migrated once per test process; dropped at the end),
a private `redis-server` on a free port (channel layer on its db 0, the broker on its
db 1: restarting it restarts nobody else's broker), or, with `broker="rabbitmq"`, a
RabbitMQ vhost of its own (deleted at the end). Names carry the test process's pid, so
leftovers of a run that died are removed by the next.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import functools
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from cryptography.fernet import Fernet

from tests.support.hosts import Host, alive
from tests.support.live import ROOT, LiveServer, free_port

POSTGRES_URL = os.environ.get("DATASLOT_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672"


def unavailable(broker: str = "redis") -> str | None:
    """Why a cluster cannot be made here (None when it can)."""
    try:
        import psycopg

        psycopg.connect(POSTGRES_URL, connect_timeout=3).close()
    except Exception as error:  # noqa: BLE001 - any failure is a reason to skip, said plainly
        return f"PostgreSQL at {POSTGRES_URL} is not reachable ({type(error).__name__})"
    if not _which("redis-server"):
        return "redis-server is not installed (each cluster runs a Redis of its own)"
    try:
        import celery  # noqa: F401
    except ImportError:
        return "celery is not installed in .venv (requirements.txt)"
    if broker == "rabbitmq" and _rabbitmqctl("list_vhosts").returncode != 0:
        return "RabbitMQ is not running here (rabbitmqctl list_vhosts failed)"
    return None


def _which(name: str) -> bool:
    return any(os.access(os.path.join(d, name), os.X_OK) for d in os.environ.get("PATH", "").split(":") + ["/usr/sbin"])


def _rabbitmqctl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, text=True, timeout=60)


@functools.cache
def _migrated_template() -> str:
    """A database migrated once per test process, copied for each cluster (a copy takes a
    fraction of a second, `migrate` several); dropped when the process exits. Databases
    of test processes that died are dropped here too."""
    import psycopg

    name = f"dataslot_scale_{os.getpid()}_template"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        for (existing,) in admin.execute("SELECT datname FROM pg_database WHERE datname LIKE 'dataslot_scale_%'"):
            match = re.fullmatch(r"dataslot_scale_(\d+)_\w+", existing)
            if match and not alive(int(match.group(1))):
                admin.execute(f'DROP DATABASE IF EXISTS "{existing}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    atexit.register(_drop, name)
    home = tempfile.mkdtemp(prefix="dataslot-template-")
    out = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": f"{ROOT / 'platform'}:{ROOT}",
            "DATASLOT_HOME": home,
            "DATABASE_URL": POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    shutil.rmtree(home, ignore_errors=True)
    if out.returncode != 0:
        raise RuntimeError(f"migrate failed:\n{out.stdout}\n{out.stderr}")
    return name


def _drop(database: str) -> None:
    import psycopg

    with contextlib.suppress(Exception), psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL it when the test process dies (no orphan left running)."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


@functools.cache
def _remove_dead_vhosts() -> None:
    """RabbitMQ vhosts of test processes that died (once per process: rabbitmqctl is slow)."""
    for name in _rabbitmqctl("list_vhosts").stdout.split():
        match = re.fullmatch(r"dataslot-test-(\d+)-\w+", name)
        if match and not alive(int(match.group(1))):
            _rabbitmqctl("delete_vhost", name)


class RedisServer:
    """A private redis-server, nothing kept on disk (a restart loses everything, as a broker's crash would)."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.start()

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--dir", str(self.directory), "--logfile", str(self.directory / "redis.log"), "--daemonize", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"redis-server did not start on {self.port}")
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()  # SIGKILL: what is queued is lost
            self.process.wait(10)

    def restart(self) -> None:
        self.stop()
        self.start()


class Worker:
    """One `manage.py worker` process (and its replicas), here or on a host of its own."""

    def __init__(self, cluster: Cluster, name: str, env: dict[str, str], host: Host | None = None, args=()):
        self.cluster, self.name, self.host = cluster, name, host
        self.home = Path(env["DATASLOT_HOME"])
        self.home.mkdir(parents=True, exist_ok=True)
        self.log_path = self.home / "worker.log"
        self.env = env
        argv = [sys.executable, str(ROOT / "manage.py"), "worker", "--name", name, *args]
        log = open(self.log_path, "ab")
        if host is None:
            self.process = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        else:
            self.process = host.popen(argv, env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_registered(self, timeout: float = 60) -> Worker:
        """Until the worker's row says it is up (it checked its configuration and heartbeats)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker {self.name} exited {self.process.returncode}:\n{self.log()[-4000:]}")
            row = self.cluster.query(
                "SELECT id FROM runner_worker WHERE name = %s AND stopped_at IS NULL ORDER BY started_at DESC LIMIT 1",
                self.name,
            )
            if row:
                self.id = row[0][0]
                return self
            time.sleep(0.1)
        raise RuntimeError(f"worker {self.name} did not register within {timeout} s:\n{self.log()[-4000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        """SIGKILL the worker and its replicas (on a host: every process of the host)."""
        if self.host is not None:
            self.host.crash()
            return
        pids = [self.process.pid, *_descendants(self.process.pid)]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(10)


def _descendants(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    children.append(int(entry.name))
    return children + [d for child in children for d in _descendants(child)]


class ClusterServer:
    """A cluster seen as the one server the contract tests speak to: the API of its web
    process, and `home` / `process` of the worker whose replicas run the functions."""

    def __init__(self, web: LiveServer, worker: Worker):
        self.web, self.worker = web, worker
        self.url, self.home, self.process = web.url, worker.home, worker.process

    def __getattr__(self, name):
        return getattr(self.web, name)


class Cluster:
    def __init__(self, root: Path | None = None, *, broker: str = "redis", lease: float = 3, **env: str):
        """`lease`: DATASLOT_WORKER_LEASE (the heartbeat is a sixth of it, the requeue delay the same)."""
        import psycopg

        self.root = Path(root or tempfile.mkdtemp(prefix="dataslot-cluster-"))
        self.tag = f"{os.getpid()}_{uuid.uuid4().hex[:8]}"
        self.webs: list[LiveServer] = []
        self.workers: list[Worker] = []
        self.hosts: list[Host] = []
        self.vhost: str | None = None
        self.redis: RedisServer | None = None
        self.database = f"dataslot_scale_{self.tag}"
        template = _migrated_template()
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{self.database}" TEMPLATE "{template}"')
        self.database_url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{self.database}"
        try:
            self.redis = RedisServer(self.root / "redis")
            if broker == "redis":
                self.broker_url = self.redis.url(1)
            else:
                self.vhost = self._make_vhost()
                self.broker_url = f"{RABBITMQ_URL}/{self.vhost}"
        except Exception:
            self.close()
            raise
        self.env = {
            "DATASLOT_EXECUTOR": "celery",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis.url(0),
            "DATASLOT_BROKER_URL": self.broker_url,
            "DATASLOT_SECRET_KEY": secrets.token_urlsafe(40),
            "DATASLOT_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "DATASLOT_WORKER_LEASE": str(lease),
            "DATASLOT_WORKER_HEARTBEAT": str(max(lease / 6, 0.25)),
            "DATASLOT_REQUEUE_AFTER": str(lease),
            **env,
        }

    def _make_vhost(self) -> str:
        _remove_dead_vhosts()
        name = f"dataslot-test-{self.tag.replace('_', '-')}"
        for args in (("add_vhost", name), ("set_permissions", "-p", name, "guest", ".*", ".*", ".*")):
            out = _rabbitmqctl(*args)
            if out.returncode != 0:
                raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {out.stderr.strip()}")
        return name

    def lose_broker_state(self) -> None:
        """The broker forgets everything queued: a restart of the private Redis (nothing on
        disk), or, for RabbitMQ, our vhost deleted and made again (the shared server and
        everyone else's vhosts are left alone)."""
        if self.vhost is None:
            self.redis.restart()
            return
        _rabbitmqctl("delete_vhost", self.vhost)
        for args in (("add_vhost", self.vhost), ("set_permissions", "-p", self.vhost, "guest", ".*", ".*", ".*")):
            _rabbitmqctl(*args)

    def query(self, sql: str, *params):
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def web(self, **env: str) -> LiveServer:
        """A web process (daphne, no dispatcher in celery mode) on the cluster's migrated database.

        The web processes share one DATASLOT_HOME: its media (package archives, item files)
        is what every web process must see. They listen on loopback only; workers on hosts
        reach them as 10.213.x.1, hence any Host header is allowed.
        """
        home = self.root / "web"
        home.mkdir(parents=True, exist_ok=True)
        server = LiveServer(home=home, migrate=False, **{"ALLOWED_HOSTS": "*", **self.env, **env})
        server.log_path = home / f"server{len(self.webs)}.log"
        self.webs.append(server)
        return server.start()

    def host(self, label: str = "worker-host") -> Host:
        host = Host(label)
        self.hosts.append(host)
        return host

    def worker(
        self, name: str | None = None, *, host: Host | None = None, web: LiveServer | None = None, args=(), **env: str
    ) -> Worker:
        """A worker, started and registered; on `host` it reaches everything through the host's link."""
        web = web or self.webs[0]
        name = name or f"worker-{len(self.workers)}"
        worker_env = {
            **{k: v for k, v in web.env.items() if k not in self.env},
            **self.env,
            "DATASLOT_HOME": str(self.root / f"{name}-home"),
            "DATASLOT_API_URL": web.url,
            **env,
        }
        if host is not None:
            for key in ("DATABASE_URL", "REDIS_URL", "DATASLOT_BROKER_URL", "DATASLOT_API_URL"):
                worker_env[key] = host.reach(worker_env[key])
        worker = Worker(self, name, worker_env, host, args)
        self.workers.append(worker)
        return worker.wait_registered()

    def close(self) -> None:

        for worker in self.workers:
            with contextlib.suppress(Exception):
                worker.stop()
        for server in self.webs:
            with contextlib.suppress(Exception):
                server.stop()
        for host in self.hosts:
            with contextlib.suppress(Exception):
                host.close()
        if self.redis:
            self.redis.stop()
        if self.vhost:
            _rabbitmqctl("delete_vhost", self.vhost)
        _drop(self.database)

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
