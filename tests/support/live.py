"""A real Dataslot server for tests: daphne (dataslot_server.serve) in a subprocess, its own DATASLOT_HOME.

The server runs exactly what `make run` runs (ASGI application, embedded dispatcher,
real replica subprocesses), on a free port, with a file SQLite database of its own.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, home: Path | None = None, *, migrate: bool = True, **env: str):
        self.home = Path(home or tempfile.mkdtemp(prefix="dataslot-live-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/tmp"),
            "LANG": "C.UTF-8",
            "PYTHONPATH": f"{ROOT / 'platform'}:{ROOT}",
            "DATASLOT_HOME": str(self.home),
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "DATASLOT_TERMINATION_GRACE": "2",
            "DATASLOT_LOG_LEVEL": "WARNING",
            **env,
        }
        self.process: subprocess.Popen | None = None
        self.log_path = self.home / "server.log"
        if migrate:  # False: another server already migrated the database they share
            self.manage("migrate", "--noinput", "-v", "0")

    def manage(self, *args: str, input: str | None = None) -> str:
        out = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=self.env,
            input=input,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if out.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
        return out.stdout

    def python(self, code: str) -> str:
        """Run Python with Django set up against this server's database."""
        return self.manage("shell", "--no-imports", "-c", code)

    def start(self) -> LiveServer:
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dataslot_server.serve",
                "-b",
                "127.0.0.1",
                "-p",
                str(self.port),
                "dataslot_server.asgi:application",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log_path.read_text()[-4000:]}")
            try:
                requests.get(self.url + "/login/", timeout=5)
                return self
            except (requests.ConnectionError, requests.Timeout):  # not listening, or busy starting
                time.sleep(0.1)
        raise RuntimeError(f"server did not start:\n{self.log_path.read_text()[-4000:]}")

    def kill(self) -> None:
        """SIGKILL the server, as a crash would; its replicas exit when their pipe closes."""
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)

    def create_user(
        self,
        username: str,
        password: str = "pw",
        *,
        project: str | None = None,
        role: str = "owner",
        superuser: bool = False,
    ) -> str:
        """Create a user (and a project membership); returns the user's API token."""
        code = f"""
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from workspace.models import Project, Membership
u, _ = User.objects.get_or_create(username={username!r})
u.set_password({password!r}); u.is_superuser = u.is_staff = {superuser!r}; u.save()
if {project!r}:
    p, _ = Project.objects.get_or_create(name={project!r})
    Membership.objects.update_or_create(project=p, user=u, defaults={{"role": {role!r}}})
print(Token.objects.get_or_create(user=u)[0].key)
"""
        return self.python(code).strip().splitlines()[-1]

    def session(self, token: str) -> requests.Session:
        s = requests.Session()
        s.headers["Authorization"] = f"Token {token}"
        return s
