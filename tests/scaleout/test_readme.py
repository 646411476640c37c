"""The README's "Scale out" section, followed as written on this machine.

Its marked shell blocks (``<!-- scale-out: NAME -->``) are run with bash, with only the
example hosts, ports, keys and homes replaced by this test's own (a database of its own,
a private Redis, free ports): create the database, the environment every host shares,
a web process and a worker as written. Then the README's own SDK example runs a demo
function through that web process, and the worker runs it to success.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
import requests
from cryptography.fernet import Fernet

from tests.scaleout.conftest import wait_for
from tests.support import cluster as clusters
from tests.support.live import ROOT, free_port

pytestmark = [pytest.mark.scaleout, pytest.mark.server]

README = ROOT / "README.md"


def scale_out_section() -> str:
    text = README.read_text()
    start = text.index("\n## Scale out\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def marked_blocks() -> dict[str, str]:
    return dict(re.findall(r"<!-- scale-out: (\w+) -->\n```sh\n(.*?)```", scale_out_section(), re.S))


def test_the_scale_out_section_follows_the_two_set_up_commands_and_marks_each_hosts_commands():
    text = README.read_text()
    set_up = text.index("## Set up")
    assert "make run    #" in text[set_up : text.index("\n## ", set_up + 1)]
    assert set_up < text.index("## Scale out") < text.index("## What the demo shows")
    assert sorted(marked_blocks()) == ["database", "environment", "web", "worker"]


class Placeholders:
    """The README's example names, replaced by this machine's own; nothing example-like may remain."""

    def __init__(self, database: str, redis_port: int, web_port: int):
        pg = urlsplit(clusters.POSTGRES_URL)
        self.pg_host, self.pg_port = pg.hostname or "127.0.0.1", pg.port or 5432
        self.pairs = [
            ("db.example:5432/dataslot", f"{self.pg_host}:{self.pg_port}/{database}"),
            ("db.example:6379", f"127.0.0.1:{redis_port}"),
            ("-U postgres dataslot", f"-p {self.pg_port} -U postgres {database}"),
            ("web1.example:8000", f"127.0.0.1:{web_port}"),
            ("-b 0.0.0.0 -p 8000", f"-b 127.0.0.1 -p {web_port}"),
            ("'first-line-printed-above'", repr(secrets.token_urlsafe(50))),
            ("'second-line-printed-above'", repr(Fernet.generate_key().decode())),
            ("dataslot.example", "localhost"),
            ("web1.example", "127.0.0.1"),
            ("db.example", self.pg_host),
        ]

    def __call__(self, block: str, home: Path) -> str:
        for example, ours in self.pairs:
            block = block.replace(example, ours)
        block = block.replace("/var/lib/dataslot", str(home))
        assert "example" not in block and "8000" not in block, f"a placeholder this test does not know:\n{block}"
        return block


def bash(script: str, log: Path) -> subprocess.Popen:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8"}
    with open(log, "ab") as out:
        return subprocess.Popen(
            ["bash", "-euc", script], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def test_following_the_readme_on_this_machine_runs_an_execution_on_a_worker_to_success(tmp_path):
    reason = clusters.unavailable("redis")
    if reason:
        pytest.skip(f"the scale-out section cannot be followed here: {reason}")
    blocks = marked_blocks()
    database = f"dataslot_readme_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    redis = clusters.RedisServer(tmp_path / "redis")
    web_port = free_port()
    fill = Placeholders(database, redis.port, web_port)
    processes: list[subprocess.Popen] = []
    try:
        # The database host.
        created = subprocess.run(
            ["bash", "-euc", fill(blocks["database"], tmp_path)], capture_output=True, text=True, timeout=60
        )
        assert created.returncode == 0, created.stderr

        # A web host, then a worker host: the shared environment, then each one's commands.
        web_script = fill(blocks["environment"], tmp_path / "web-home") + fill(blocks["web"], tmp_path / "web-home")
        web = bash(web_script, tmp_path / "web.log")
        processes.append(web)

        def web_up():
            assert web.poll() is None, (tmp_path / "web.log").read_text()[-4000:]
            with contextlib.suppress(requests.ConnectionError):
                return requests.get(f"http://127.0.0.1:{web_port}/login/", timeout=2).status_code == 200
            return False

        wait_for(web_up, 240, "the web process answers", interval=0.5)

        worker_home = tmp_path / "worker-home"
        worker = bash(
            fill(blocks["environment"], worker_home) + fill(blocks["worker"], worker_home), tmp_path / "w.log"
        )
        processes.append(worker)
        name = re.search(r"--name (\S+)", blocks["worker"]).group(1)
        database_url = f"postgres://postgres@{fill.pg_host}:{fill.pg_port}/{database}"

        def registered():
            assert worker.poll() is None, (tmp_path / "w.log").read_text()[-4000:]
            with psycopg.connect(database_url) as conn:
                return conn.execute(
                    "SELECT id, host FROM runner_worker WHERE name = %s AND stopped_at IS NULL", (name,)
                ).fetchone()

        worker_id, _ = wait_for(registered, 60, "the worker registers", interval=0.3)

        # The README's SDK example, against this web process.
        example = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)
        example = example.replace("http://127.0.0.1:8000", f"http://127.0.0.1:{web_port}")
        ran = subprocess.run(
            [sys.executable, "-c", example],
            cwd=ROOT,
            env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert ran.returncode == 0, ran.stderr[-3000:]
        with psycopg.connect(database_url) as conn:
            rows = conn.execute("SELECT function_name, status, worker_id FROM faas_execution").fetchall()
        assert rows == [("rgb2gray", "success", worker_id)], rows
        # The web process ran no dispatcher: the worker is the only one registered.
        with psycopg.connect(database_url) as conn:
            assert conn.execute("SELECT name FROM runner_worker").fetchall() == [(name,)]
    finally:
        for process in reversed(processes):
            stop(process)
        redis.stop()
        with psycopg.connect(clusters.POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
