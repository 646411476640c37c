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
        from dataslot.repositories.services import ServicesRepository

        return self._cached("service", lambda: ServicesRepository(self.client).get(service_id=self.service_id))

    def refresh(self) -> Execution:
        self._replace(self.client.get(f"/api/executions/{self.id}/"))
        return self

    def wait(self, timeout: float | None = None) -> Execution:
        """Poll until the execution is finished; ``TimeoutError`` after ``timeout`` seconds."""
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

    def logs(self, follow: bool = False):
        """The captured output, line by line (each ending in a newline, but the last, when
        the function's output has none); ``follow=True`` keeps polling until the execution
        has finished and every line has been read.

        The server stores output as the function wrote it (``print("a", 1)`` is several
        writes); the pieces are joined here into whole lines.
        """
        after = None
        delay = 0.1
        pending = ""
        while True:
            answer = self.client.get(f"/api/executions/{self.id}/logs/", {"after": after} if after else None)
            lines = answer.get("lines") or []
            for line in lines:
                after = line.get("id", after)
                pending += line.get("text", "")
                *complete, pending = pending.split("\n")
                for text in complete:
                    yield text + "\n"
            if lines:
                delay = 0.1  # more may be waiting: ask again at once
                continue
            if not follow or answer.get("finished"):
                if pending:
                    yield pending
                return
            time.sleep(delay)
            delay = min(delay * BACKOFF, MAX_POLL)
