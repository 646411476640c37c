"""``dl.Execution``: one run of a function, followed from creation to its end."""

from __future__ import annotations

import time

from dataslot.entities.base import BaseEntity
from dataslot.enums import FINISHED_STATUSES

# Polling: quick first looks (a no-op finishes in milliseconds), then back off to 1 s.
FIRST_POLL = 0.005
MAX_POLL = 1.0
BACKOFF = 1.5


class Execution(BaseEntity):
    __slots__ = ()

    @property
    def finished(self) -> bool:
        return self._json.get("status") in FINISHED_STATUSES

    @property
    def service(self):
        return self._cached("service", lambda: self._repository("services").get(service_id=self.service_id))

    def refresh(self) -> Execution:
        self._replace(self.client.get(f"/api/executions/{self.id}/"))
        return self

    def wait(self, timeout: float | None = None, *, on_poll=None) -> Execution:
        """Poll until the execution is finished; ``TimeoutError`` after ``timeout`` seconds.
        ``on_poll()`` is called after each look (``execute(sync=True)`` prints logs there)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = FIRST_POLL
        while not self.finished:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"Execution {self.id} is still {self._json.get('status')} after {timeout} s")
                delay = min(delay, left)
            time.sleep(delay)
            delay = min(delay * BACKOFF, MAX_POLL)
            self.refresh()
            if on_poll is not None:
                on_poll()
        return self

    def wait_printing_logs(self, timeout: float | None = None) -> Execution:
        """``wait()``, printing the output as it comes (``execute(sync=True)``, as dtlpy
        streams it). A quick run is printed once at its end: one request, not a poll each."""
        reader = LogReader(self)
        started = time.monotonic()

        def show():
            if time.monotonic() - started >= STREAM_AFTER:
                _print(reader.read())

        self.wait(timeout, on_poll=show)
        _print(reader.read() + reader.flush())
        return self

    def terminate(self) -> Execution:
        """Ask the execution to stop: a queued one never runs, a running one is told at its
        next ``self.kill_event()`` (and stopped by force after a grace period)."""
        self._replace(self.client.post(f"/api/executions/{self.id}/terminate/"))
        return self

    def rerun(self) -> Execution:
        """Queue this execution again (same id)."""
        self._replace(self.client.post(f"/api/executions/{self.id}/rerun/"))
        return self

    def logs(self, follow: bool = False, view: bool = True, **ignored):
        """The captured output, line by line (each ending in a newline, but the last, when
        the function's output has none); ``follow=True`` keeps going until the execution
        has finished and every line has been read.

        As in dtlpy, the lines are printed as they come (``view=True``); they are also
        returned as a list. ``view=False`` returns them lazily without printing.
        """
        lines = self._log_lines(follow)
        if not view:
            return lines
        seen = []
        for line in lines:
            _print([line])
            seen.append(line)
        return seen

    def _log_lines(self, follow: bool):
        reader = LogReader(self)
        delay = FIRST_POLL  # as wait(): a quick function is followed to its end in milliseconds
        while True:
            lines = reader.read()
            yield from lines
            if lines:
                delay = FIRST_POLL  # more may be waiting
            if not follow or reader.finished:
                yield from reader.flush()
                return
            time.sleep(delay)
            delay = min(delay * BACKOFF, MAX_POLL)


# A synchronous run that lasts longer than this has its output printed while it runs.
STREAM_AFTER = 0.5


class LogReader:
    """Reads an execution's output from where it left off, as whole lines.

    The server stores output as the function wrote it (``print("a", 1)`` is several
    writes); the pieces are joined here into lines."""

    def __init__(self, execution: Execution):
        self.execution = execution
        self.after = None
        self.pending = ""
        self.finished = False

    def read(self) -> list[str]:
        """The complete lines written since the last read."""
        client, path = self.execution.client, f"/api/executions/{self.execution.id}/logs/"
        complete_lines = []
        while True:
            answer = client.get(path, {"after": self.after} if self.after else None)
            lines = answer.get("lines") or []
            self.finished = bool(answer.get("finished"))
            for line in lines:
                self.after = line.get("id", self.after)
                self.pending += line.get("text", "")
                *complete, self.pending = self.pending.split("\n")
                complete_lines += [text + "\n" for text in complete]
            if not lines:
                return complete_lines

    def flush(self) -> list[str]:
        """The last line when the output did not end with a newline."""
        rest, self.pending = ([self.pending] if self.pending else []), ""
        return rest


def _print(lines: list[str]) -> None:
    for line in lines:
        print(line, end="" if line.endswith("\n") else "\n", flush=True)
