"""Workers: every dispatcher (the embedded one, and each scale-out worker) as the database sees it.

A dispatcher registers a row when it starts and heartbeats it; the executions it holds
name it (``Execution.holder``). A row whose heartbeat is older than the lease
(``DATASLOT_WORKER_LEASE``) has lost what it held: any dispatcher resets those
executions (``runner/workers.py``). Rows are kept after a stop, so an execution can
still say which worker ran it.
"""

from django.db import models


class Worker(models.Model):
    class Executor(models.TextChoices):
        EMBEDDED = "embedded"
        CELERY = "celery"

    id = models.CharField(max_length=64, primary_key=True)  # a dispatcher's boot id (what `Execution.holder` names)
    name = models.CharField(max_length=200)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    version = models.CharField(max_length=40)
    executor = models.CharField(max_length=10, choices=Executor.choices)
    started_at = models.DateTimeField()
    heartbeat_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    # [{serviceId, pid, ready, runs}] as of the last heartbeat.
    replicas = models.JSONField(default=list, blank=True)
    running = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["heartbeat_at"], name="worker_heartbeat")]

    def __str__(self):
        return f"{self.name} ({self.host})"
