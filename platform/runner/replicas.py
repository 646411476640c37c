"""One replica process as the dispatcher sees it: a pipe in, a pipe out, and its runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import dataslot

SDK_ROOT = Path(dataslot.__file__).resolve().parent.parent


@dataclass
class Run:
    execution_id: int
    deadline: float  # monotonic time at which it times out
    timeout: int
    kill_at: float | None = None  # set when termination was asked: forced stop after the grace period


class ReplicaProcess:
    def __init__(
        self,
        *,
        service_id: int,
        config_version: int,
        concurrency: int,
        code_dir: Path,
        init: dict,
        env: dict[str, str],
        secret_values: list[str],
        log_path: Path,
        drain_limit: float,
    ):
        self.service_id = service_id
        self.config_version = config_version
        self.concurrency = concurrency
        self.secret_values = [v for v in secret_values if v]
        self.ready = False
        self.draining_since: float | None = None
        self.drain_limit = drain_limit
        self.runs: dict[int, Run] = {}
        self._buffer = b""
        log_path.parent.mkdir(parents=True, exist_ok=True)
        # What the replica writes outside any execution (or below Python) goes through us
        # to its service's log file, redacted like execution logs.
        self.log = open(log_path, "ab")
        self._stderr_pending = b""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dataslot.runtime.replica"],
            cwd=code_dir,
            # Only what the replica needs: no server keys, no other service's secrets.
            env={**env, "PYTHONPATH": f"{code_dir}{os.pathsep}{SDK_ROOT}", "PYTHONUNBUFFERED": "1"},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        os.set_blocking(self.process.stderr.fileno(), False)
        os.set_blocking(self.process.stdout.fileno(), False)
        self.send(init)

    @property
    def free(self) -> int:
        return self.concurrency - len(self.runs) if self.ready and self.draining_since is None else 0

    def fileno(self) -> int:
        return self.process.stdout.fileno()

    def send(self, message: dict) -> bool:
        try:
            self.process.stdin.write((json.dumps(message) + "\n").encode())
            self.process.stdin.flush()
            return True
        except (BrokenPipeError, ValueError, OSError):
            return False

    def read(self) -> list[dict] | None:
        """Messages available now; None once the process has closed its end."""
        try:
            chunk = os.read(self.fileno(), 1 << 20)
        except BlockingIOError:
            return []
        if not chunk:
            return None
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        return [json.loads(line) for line in lines if line.strip()]

    def start(self, execution_id: int, timeout: int, message: dict) -> bool:
        self.runs[execution_id] = Run(execution_id, time.monotonic() + timeout, timeout)
        return self.send(message)

    def stop(self) -> None:
        """Ask nicely (close its input), then make sure."""
        try:
            self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(2)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, 9)
            except ProcessLookupError:
                pass
        self.process.wait()
        self.drain_stderr(final=True)
        self.log.close()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            try:
                stream.close()
            except OSError:
                pass

    def drain_stderr(self, *, final: bool = False) -> None:
        """Copy what the replica wrote to stderr into the log, a whole line at a time."""
        try:
            while chunk := os.read(self.process.stderr.fileno(), 1 << 16):
                self._stderr_pending += chunk
        except (BlockingIOError, OSError, ValueError):
            pass
        lines, newline, rest = self._stderr_pending.rpartition(b"\n")
        self._stderr_pending = b"" if final else rest
        text = lines + newline + (rest if final else b"")
        if text and not self.log.closed:
            self.log.write(self.redact(text.decode(errors="replace")).encode())
            self.log.flush()

    def redact(self, text: str) -> str:
        for value in self.secret_values:
            text = text.replace(value, "[redacted]")
        return text
