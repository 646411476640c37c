"""What a scale-out worker asks the broker itself, beside the messages (``runner.tasks``)."""

from __future__ import annotations

from dataslot_server.celery_app import QUEUE, app


def queue_empty() -> bool:
    """Whether no message waits on the broker's queue (messages a worker holds not counted)."""
    with app.connection_for_read() as connection:
        try:
            _, count, _ = connection.default_channel.queue_declare(queue=QUEUE, passive=True)
        except connection.channel_errors:
            return True  # no such queue yet: nothing waits on it
    return count == 0
