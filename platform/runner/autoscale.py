"""How many replicas a service wants: dtlpy's queue-length autoscaler, applied here.

A service without ``runtime.autoscaler`` runs ``numReplicas`` replicas. With one, a
dispatcher (embedded, or each scale-out worker for what it holds) runs
``ceil((queued + running) / queueLength)`` replicas, between ``minReplicas`` and
``maxReplicas``: more at once when work waits, fewer when a replica has been idle for
``cooldownPeriod`` seconds, none when idle and ``minReplicas`` is 0 (the next execution
then waits for a cold start, which its status log says).
"""

from __future__ import annotations

import math

DEFAULT_QUEUE_LENGTH = 1000  # dtlpy's default
DEFAULT_COOLDOWN = 60  # seconds an idle replica beyond what is wanted stays warm


def autoscaler_of(service) -> dict | None:
    """The queue-length autoscaler (dtlpy's type ``rabbitmq``), or None (faas/runtime.py
    reports other types as not applied)."""
    autoscaler = (service.runtime_settings or {}).get("autoscaler")
    if isinstance(autoscaler, dict) and autoscaler.get("type", "rabbitmq") == "rabbitmq":
        return autoscaler
    return None


def replicas_wanted(service, *, queued: int, running: int) -> int:
    autoscaler = autoscaler_of(service)
    if autoscaler is None:
        return service.num_replicas
    low, high = autoscaler.get("minReplicas", 0), autoscaler.get("maxReplicas", 1)
    per_replica = autoscaler.get("queueLength") or DEFAULT_QUEUE_LENGTH
    return max(low, min(high, math.ceil((queued + running) / per_replica)))


def cooldown(service) -> float:
    autoscaler = autoscaler_of(service) or {}
    value = autoscaler.get("cooldownPeriod")
    return float(DEFAULT_COOLDOWN if value is None else value)
