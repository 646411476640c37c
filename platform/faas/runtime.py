"""A service's runtime beyond concurrency and replicas: dtlpy's ``podType``, ``runnerImage``,
``autoscaler`` (and any other key a dtlpy script sends).

Dataslot keeps every such setting (``Service.runtime_settings``) and says which ones it does
not apply (``notApplied`` in the service's JSON): a setting is never dropped or ignored
without a word. The autoscaler's bounds are validated here, whoever applies them.
"""

from __future__ import annotations

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError

from faas.models import Service

POD_TYPES = (
    "regular-xs",
    "regular-s",
    "regular-m",
    "regular-l",
    "highmem-xs",
    "highmem-s",
    "highmem-m",
    "highmem-l",
    "highcpu-xs",
    "gpu-t4",
    "gpu-t4-m",
)
DEFAULT_POD_TYPE = "regular-s"
AUTOSCALER_TYPES = ("rabbitmq", "cpu", "rps")
# The runtime keys that are model columns; every other key is a runtime setting.
COLUMNS = {"concurrency": "concurrency", "numReplicas": "num_replicas"}


def _natural(value, *, least: int) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and value >= least


def validate_runtime_settings(settings: dict, *, before: dict | None = None) -> None:
    """400s naming the field (``runtime.autoscaler.minReplicas``...) for settings that cannot be;
    ``before``: the settings they update (an unchanged value passes the server's limits)."""
    errors: dict[str, list[str]] = {}
    pod_type = settings.get("podType")
    if pod_type is not None and pod_type not in POD_TYPES:
        errors["runtime.podType"] = [f"Must be one of {', '.join(POD_TYPES)}, got {pod_type!r}."]
    image = settings.get("runnerImage")
    if image is not None and not isinstance(image, str):
        errors["runtime.runnerImage"] = ["Must be a string (an image name) or null."]
    autoscaler = settings.get("autoscaler")
    if autoscaler is not None:
        if not isinstance(autoscaler, dict):
            errors["runtime.autoscaler"] = ["Must be an object: {type, minReplicas, maxReplicas, queueLength}."]
        else:
            previous = (before or {}).get("autoscaler")
            errors.update(_autoscaler_errors(autoscaler, previous if isinstance(previous, dict) else {}))
    if errors:
        raise ValidationError(errors)


def _autoscaler_errors(autoscaler: dict, before: dict) -> dict[str, list[str]]:
    errors = {}
    kind = autoscaler.get("type", "rabbitmq")
    if kind not in AUTOSCALER_TYPES:
        errors["runtime.autoscaler.type"] = [f"Must be one of {', '.join(AUTOSCALER_TYPES)}, got {kind!r}."]
    least = {"minReplicas": 0, "maxReplicas": 1, "queueLength": 1, "cooldownPeriod": 0, "pollingInterval": 1}
    for key, minimum in least.items():
        value = autoscaler.get(key)
        if value is not None and not _natural(value, least=minimum):
            errors[f"runtime.autoscaler.{key}"] = [f"Must be a whole number of at least {minimum}, got {value!r}."]
    low, high = autoscaler.get("minReplicas", 0), autoscaler.get("maxReplicas", 1)
    if _natural(low, least=0) and _natural(high, least=1) and low > high:
        errors["runtime.autoscaler.minReplicas"] = [f"Must not exceed maxReplicas ({high}), got {low}."]
    limit = django_settings.DATASLOT_MAX_REPLICAS
    changed = high != before.get("maxReplicas")
    if _natural(high, least=1) and high > limit and changed and "runtime.autoscaler.maxReplicas" not in errors:
        errors["runtime.autoscaler.maxReplicas"] = [
            f"At most {limit} on this server (DATASLOT_MAX_REPLICAS), got {high}."
        ]
    return errors


def runtime_json(service: Service) -> dict:
    settings = dict(service.runtime_settings or {})
    return {
        **settings,
        "podType": settings.get("podType") or DEFAULT_POD_TYPE,
        "concurrency": service.concurrency,
        "numReplicas": service.num_replicas,
        "autoscaler": settings.get("autoscaler"),
    }


def not_applied(settings: dict | None) -> list[dict]:
    """``[{field, value, reason}]``: the runtime settings kept but not acted on here."""
    found = []
    for key, value in (settings or {}).items():
        if value is None or (key == "podType" and value == DEFAULT_POD_TYPE):
            continue
        if key == "autoscaler" and isinstance(value, dict) and value.get("type", "rabbitmq") == "rabbitmq":
            continue  # applied: replicas scale by queue length (runner/autoscale.py)
        reason = _REASONS.get(key, "Not a setting Dataslot acts on; kept as sent.")
        found.append({"field": f"runtime.{key}", "value": value, "reason": reason})
    return found


_REASONS = {
    "podType": "Replicas are processes on the executor's machines, not sized pods; kept as sent.",
    "runnerImage": "Replicas run in the server's Python environment, not a container image; kept as sent.",
    "autoscaler": (
        "Only the queue-length autoscaler (type rabbitmq) is applied; kept as sent, replicas follow "
        "runtime.numReplicas."
    ),
}
