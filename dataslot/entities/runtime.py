"""A service's runtime, as dtlpy declares it: ``dl.KubernetesRuntime`` and its autoscaler.

Dataslot runs replicas as subprocesses of its own executor, not as Kubernetes pods. What
carries over is applied (``concurrency``, ``num_replicas``, the autoscaler's replica
bounds); what names Dataloop's cloud (``pod_type``, ``runner_image``) is kept on the
service and listed in its ``notApplied``, and the SDK logs a warning, so nothing a script
sets disappears without a word.
"""

from __future__ import annotations

from enum import StrEnum


class InstanceCatalog(StrEnum):
    """Dataloop's pod sizes; stored, not applied (a replica here is a local process)."""

    REGULAR_XS = "regular-xs"
    REGULAR_S = "regular-s"
    REGULAR_M = "regular-m"
    REGULAR_L = "regular-l"
    HIGHMEM_XS = "highmem-xs"
    HIGHMEM_S = "highmem-s"
    HIGHMEM_M = "highmem-m"
    HIGHMEM_L = "highmem-l"
    HIGHCPU_XS = "highcpu-xs"
    GPU_T4_S = "gpu-t4"
    GPU_T4_M = "gpu-t4-m"


class RuntimeType(StrEnum):
    KUBERNETES = "kubernetes"


class KubernetesAutoscalerType(StrEnum):
    RABBITMQ = "rabbitmq"
    CPU = "cpu"
    RPS = "rps"


class KubernetesAutoscaler:
    MIN_REPLICA_DEFAULT = 0
    MAX_REPLICA_DEFAULT = 1
    AUTOSCALER_TYPE_DEFAULT = KubernetesAutoscalerType.RABBITMQ

    def __init__(
        self,
        autoscaler_type=AUTOSCALER_TYPE_DEFAULT,
        min_replicas=MIN_REPLICA_DEFAULT,
        max_replicas=MAX_REPLICA_DEFAULT,
        cooldown_period=None,
        polling_interval=None,
        **kwargs,
    ):
        # dtlpy also builds these from their JSON names (minReplicas=...); so do we.
        self.autoscaler_type = kwargs.get("type", autoscaler_type)
        self.min_replicas = kwargs.get("minReplicas", min_replicas)
        self.max_replicas = kwargs.get("maxReplicas", max_replicas)
        self.cooldown_period = kwargs.get("cooldownPeriod", cooldown_period)
        self.polling_interval = kwargs.get("pollingInterval", polling_interval)

    def to_json(self) -> dict:
        json = {"type": str(self.autoscaler_type), "minReplicas": self.min_replicas, "maxReplicas": self.max_replicas}
        if self.cooldown_period is not None:
            json["cooldownPeriod"] = self.cooldown_period
        if self.polling_interval is not None:
            json["pollingInterval"] = self.polling_interval
        return json

    @staticmethod
    def from_json(json: dict | None) -> KubernetesAutoscaler | None:
        if json is None:
            return None
        if json.get("type", KubernetesAutoscalerType.RABBITMQ) == KubernetesAutoscalerType.RABBITMQ:
            return KubernetesRabbitmqAutoscaler(**json)
        return KubernetesAutoscaler(**json)

    def __eq__(self, other) -> bool:
        return isinstance(other, KubernetesAutoscaler) and other.to_json() == self.to_json()

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.to_json().items())
        return f"{type(self).__name__}({fields})"


class KubernetesRabbitmqAutoscaler(KubernetesAutoscaler):
    """Scale between ``min_replicas`` and ``max_replicas`` by queued executions per replica."""

    QUEUE_LENGTH_DEFAULT = 1000

    def __init__(
        self,
        min_replicas=KubernetesAutoscaler.MIN_REPLICA_DEFAULT,
        max_replicas=KubernetesAutoscaler.MAX_REPLICA_DEFAULT,
        queue_length=QUEUE_LENGTH_DEFAULT,
        cooldown_period=None,
        polling_interval=None,
        **kwargs,
    ):
        kwargs.pop("type", None)
        super().__init__(
            autoscaler_type=KubernetesAutoscalerType.RABBITMQ,
            min_replicas=min_replicas,
            max_replicas=max_replicas,
            cooldown_period=cooldown_period,
            polling_interval=polling_interval,
            **kwargs,
        )
        self.queue_length = kwargs.get("queueLength", queue_length)

    def to_json(self) -> dict:
        return {**super().to_json(), "queueLength": self.queue_length}


class KubernetesRuntime:
    DEFAULT_POD_TYPE = InstanceCatalog.REGULAR_S
    DEFAULT_NUM_REPLICAS = 1
    DEFAULT_CONCURRENCY = 10

    def __init__(
        self,
        pod_type=DEFAULT_POD_TYPE,
        num_replicas=DEFAULT_NUM_REPLICAS,
        concurrency=DEFAULT_CONCURRENCY,
        runner_image=None,
        autoscaler=None,
        **kwargs,
    ):
        self.pod_type = kwargs.get("podType", pod_type)
        self.num_replicas = kwargs.get("numReplicas", num_replicas)
        self.concurrency = kwargs.get("concurrency", concurrency)
        self.runner_image = kwargs.get("runnerImage", runner_image)
        autoscaler = kwargs.get("autoscaler", autoscaler)
        self.autoscaler = KubernetesAutoscaler.from_json(autoscaler) if isinstance(autoscaler, dict) else autoscaler
        # Keys this SDK has no name for (dtlpy's preemptible, ...): kept and sent back, so the
        # server can say it does not apply them rather than the SDK dropping them.
        self._extra = {k: v for k, v in kwargs.items() if k not in _KNOWN}

    def to_json(self) -> dict:
        json = {
            **self._extra,
            "podType": None if self.pod_type is None else str(self.pod_type),
            "numReplicas": self.num_replicas,
            "concurrency": self.concurrency,
            "autoscaler": None if self.autoscaler is None else self.autoscaler.to_json(),
        }
        if self.runner_image is not None:
            json["runnerImage"] = self.runner_image
        return json

    @classmethod
    def from_json(cls, json: dict | None) -> KubernetesRuntime:
        return cls(**(json or {}))

    def __eq__(self, other) -> bool:
        return isinstance(other, KubernetesRuntime) and other.to_json() == self.to_json()

    def __repr__(self) -> str:
        return (
            f"KubernetesRuntime(pod_type={self.pod_type!r}, num_replicas={self.num_replicas!r}, "
            f"concurrency={self.concurrency!r}, autoscaler={self.autoscaler!r})"
        )


_KNOWN = {"podType", "numReplicas", "concurrency", "runnerImage", "autoscaler"}


def runtime_from(value) -> KubernetesRuntime | None:
    if value is None or isinstance(value, KubernetesRuntime):
        return value
    if isinstance(value, dict):
        return KubernetesRuntime.from_json(value)
    raise TypeError("runtime must be a dl.KubernetesRuntime or a dict of its JSON")
