"""One replica process as the dispatcher sees it: a pipe in, a pipe out, and its runs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import dataslot
from dataslot.runtime.protocol import MAX_DEPTH, MAX_MESSAGE_BYTES, loads_finite
from faas.enums import FINISHED_STATUSES

SDK_ROOT = Path(dataslot.__file__).resolve().parent.parent


@dataclass
class Run:
    execution_id: int
    deadline: float  # monotonic time at which it times out
    timeout: int
    kill_at: float | None = None  # set when termination was asked: forced stop after the grace period
    log_entries: int = 0  # what it has logged so far (a chatty function's log is cut off)
    log_chars: int = 0
    log_truncated: bool = False


# A replica that sends this many messages the server cannot accept is stopped: an honest
# replica sends none, so this only leaves room for a function that wrote a few stray lines.
MAX_REJECTED = 100
# Lone surrogates parse from JSON ("\\ud800") but no database can store them as text.
_SURROGATE = re.compile("[\ud800-\udfff]")
# What a replica writes below Python (fd 2) is copied to its service's log: at most this
# much per turn of the dispatcher (a writer faster than the copy must not hold the loop),
# a line at most this long (one without a newline is cut), and the file at most this big
# (a flood must not fill the server's disk).
STDERR_PER_TURN = 1 << 20
STDERR_LINE = 1 << 16
SERVICE_LOG_LIMIT = 64 << 20


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
        self.taken = 0  # runs whose message reached it
        self.started_at = time.monotonic()
        self.confined = False  # its sandbox report arrived (the first message of all)
        self.draining_since: float | None = None
        self.drain_limit = drain_limit
        self.runs: dict[int, Run] = {}
        self.idle_since: float | None = None  # since when it runs nothing (for the autoscaler)
        self.init_failed = False
        self.rejected = 0  # messages dropped (see ``reject``)
        self._buffer = b""
        self._oversized = False  # dropping the rest of a line that was too long
        log_path.parent.mkdir(parents=True, exist_ok=True)
        # What the replica writes outside any execution (or below Python) goes through us
        # to its service's log file, redacted like execution logs.
        self.log = open(log_path, "ab")
        self._stderr_pending = bytearray()
        self._log_full = False
        self.process = subprocess.Popen(
            # -P: the package's folder (the working directory) is not on sys.path while the
            # replica, still the server's user, confines itself; it adds it afterwards.
            [sys.executable, "-P", "-m", "dataslot.runtime.replica"],
            cwd=code_dir,
            # Only what the replica needs: no server keys, no other service's secrets.
            env={**env, "PYTHONPATH": str(SDK_ROOT), "PYTHONUNBUFFERED": "1"},
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
        """Messages available now, redacted; None once the process has closed its end.

        The channel is writable from inside a function, so what is not a JSON object
        within the protocol's limits is dropped here (and counted, see ``reject``); the
        dispatcher then checks that each message speaks for one of this replica's runs.
        """
        try:
            chunk = os.read(self.fileno(), 1 << 20)
        except BlockingIOError:
            return []
        except (OSError, ValueError):
            return None
        if not chunk:
            return None
        *lines, rest = (self._buffer + chunk).split(b"\n")
        messages = []
        for line in lines:
            if self._oversized:  # the end of a line already refused
                self._oversized = False
            elif line.strip() and not self.misbehaving:
                message = self._parse(line)
                if message is not None:
                    messages.append(message)
        if len(rest) > MAX_MESSAGE_BYTES:
            if not self._oversized:
                self.reject(f"a line longer than {MAX_MESSAGE_BYTES} bytes", rest[:200])
            self._oversized, rest = True, b""
        self._buffer = rest
        return messages

    def _parse(self, line: bytes) -> dict | None:
        if len(line) > MAX_MESSAGE_BYTES:
            self.reject(f"a line longer than {MAX_MESSAGE_BYTES} bytes", line[:200])
            return None
        try:
            message = self.clean(loads_finite(line))
        except (ValueError, RecursionError) as exc:
            self.reject(f"not a JSON message ({type(exc).__name__})", line[:200])
            return None
        if not isinstance(message, dict):
            self.reject("not a JSON object", line[:200])
            return None
        return message

    @property
    def misbehaving(self) -> bool:
        return self.rejected >= MAX_REJECTED

    def reject(self, reason: str, what: bytes | dict) -> None:
        """Drop a message: count it, and say so in the service's log (redacted)."""
        self.rejected += 1
        if self.rejected > MAX_REJECTED or self.log.closed:
            return  # a flood is reported once, when the replica is stopped
        raw = what.decode(errors="replace") if isinstance(what, bytes) else json.dumps(what)
        preview = self.redact(raw)[:200].replace("\n", " ")
        self.log_event(f"dropped a message from the replica: {reason}: {preview}")

    def log_event(self, text: str) -> None:
        """A line of the server's own in the service's log."""
        if not self.log.closed:
            self._write_log(f"[dataslot {datetime.now(UTC).isoformat(timespec='seconds')}] {text}\n".encode())

    def refusal(self, message: dict) -> str | None:
        """Why this replica may not send this message, or None: a replica speaks only for
        the runs it was handed and that are still running on it."""
        op = message.get("op")
        if op == "confined":
            # Sent before any package code is imported, so package code cannot speak first.
            if self.confined or self.ready or self.init_failed:
                return "'confined' from a replica that has already said how it is confined"
            return None
        if op in ("ready", "init-failed"):
            if not self.confined:
                return f"'{op}' before the replica said how it is confined"
            if self.ready or self.init_failed:
                return f"'{op}' from a replica that has already started (or failed to)"
            if op == "init-failed" and not isinstance(message.get("message", ""), str):
                return "'init-failed' whose message is not a string"
            return None
        if op not in ("log", "progress", "done"):
            return f"an unknown op {str(op)[:40]!r}"
        execution_id = message.get("id")
        if type(execution_id) is not int:
            return f"'{op}' without an execution id (an integer)"
        if execution_id not in self.runs:
            return f"'{op}' for execution {execution_id}, which is not running on this replica"
        if op == "log" and not isinstance(message.get("text"), str):
            return "'log' whose text is not a string"
        if op == "progress":
            percent = message.get("percent", 0)
            if type(percent) not in (int, float) or not isinstance(message.get("message", ""), str):
                return "'progress' whose percent is not a number or message not a string"
        if op == "done":
            if message.get("status") not in FINISHED_STATUSES:
                return f"'done' with the status {str(message.get('status'))[:40]!r}"
            if not isinstance(message.get("message") or "", str):
                return "'done' whose message is not a string"
        return None

    def start(self, execution_id: int, timeout: int, message: dict) -> bool:
        self.runs[execution_id] = Run(execution_id, time.monotonic() + timeout, timeout)
        sent = self.send(message)
        self.taken += sent
        return sent

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
        pending = self._stderr_pending
        try:
            while len(pending) < STDERR_PER_TURN and (chunk := os.read(self.process.stderr.fileno(), 1 << 16)):
                pending += chunk
        except (BlockingIOError, OSError, ValueError):
            pass
        cut = pending.rfind(b"\n") + 1
        if final:
            cut = len(pending)
        elif len(pending) - cut > STDERR_LINE:
            cut = max(cut, self._cut_between_secrets(pending))
        text = bytes(pending[:cut])
        del pending[:cut]
        if text and not self.log.closed and not self._log_full:
            self._write_log(self.redact(text.decode(errors="replace")).encode())

    def _cut_between_secrets(self, pending: bytearray) -> int:
        """Where a line too long to wait for is cut: short of its end by the longest secret,
        and before any secret that would straddle the cut, so that no secret is split across
        two writes and escapes redaction."""
        secrets = [v.encode() for v in self.secret_values]
        cut = len(pending) - max((len(secret) for secret in secrets), default=0)
        moved = True
        while moved:  # a cut moved before one secret may fall inside another
            moved = False
            for secret in secrets:
                start = pending.find(secret, max(0, cut - len(secret) + 1), cut + len(secret) - 1)
                if 0 <= start < cut:
                    cut, moved = start, True
        return cut

    def _write_log(self, data: bytes) -> None:
        if self._log_full:
            return
        if os.fstat(self.log.fileno()).st_size + len(data) > SERVICE_LOG_LIMIT:
            self._log_full = True
            data = (
                f"[dataslot {datetime.now(UTC).isoformat(timespec='seconds')}] The service's log reached "
                f"{SERVICE_LOG_LIMIT >> 20} MB: what this replica writes from now on is dropped.\n"
            ).encode()
        self.log.write(data)
        self.log.flush()

    def redact(self, text: str) -> str:
        for value in self.secret_values:
            text = text.replace(value, "[redacted]")
        return text

    def clean(self, value, level: int = 1):
        """A message as the server keeps it: every string redacted (object keys too), and
        no NUL or lone surrogate (PostgreSQL refuses them in text and JSON, SQLite's driver
        the surrogates). The one place a replica's words are redacted: outputs, messages,
        progress and logs all pass here."""
        if isinstance(value, str):
            if not value.isascii():
                value = _SURROGATE.sub("\ufffd", value)
            return self.redact(value.replace("\x00", "\ufffd"))
        if isinstance(value, (dict, list)) and level > MAX_DEPTH:
            raise ValueError("nested too deeply")
        if isinstance(value, dict):
            return {self.clean(k): self.clean(v, level + 1) for k, v in value.items()}
        if isinstance(value, list):
            return [self.clean(v, level + 1) for v in value]
        return value
