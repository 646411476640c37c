"""Starting a service's replica: its code, its user and home, its environment.

The dispatcher (``runner/dispatcher.py``) calls ``start_replica`` and then watches the
replica's pipes; what the replica reports of its sandbox comes back here
(``note_sandbox_gaps``), to be shown on its service.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from django.conf import settings

from faas.models import PackageRevision, Service
from faas.services import services as service_services
from faas.services.integrations import service_secret_env
from runner.code import code_dir
from runner.replicas import ReplicaProcess
from runner.users import prepare_home, replica_user, share_code

# A host out of processes, memory or descriptors (another tenant's function may have used
# them up): no replica starts, but the service is not at fault and is not marked broken.
HOST_BUSY = frozenset({errno.EAGAIN, errno.ENOMEM, errno.EMFILE, errno.ENFILE})
HOST_BUSY_BACKOFF = 2.0  # seconds before this dispatcher tries to start that service's replica again


def start_replica(service: Service, *, api_url: str) -> ReplicaProcess:
    """A new replica process of the service's current config (it reports ``ready`` when its
    service class is initialised). Fetches the revision's code if this server has not yet."""
    revision = PackageRevision.objects.get(package_id=service.package_id, version=service.package_revision)
    module = revision.module(service.module_name)
    secrets = service_secret_env(service=service)
    token = service_services.service_bot_token(service=service)
    # Each service has a home of its own (and its temporary files in it), owned by its
    # own user: with the sandbox on, it is the only place its replicas can write.
    home = Path(settings.DATASLOT_HOME) / "replica-homes" / str(service.id)
    user = replica_user(service.id)
    prepare_home(home, user)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "TMPDIR": str(home / "tmp"),
        "PYTHONDONTWRITEBYTECODE": "1",
        **secrets,
        "DATASLOT_URL": api_url,
        "DATASLOT_TOKEN": token,
    }
    return ReplicaProcess(
        service_id=service.id,
        config_version=service.config_version,
        concurrency=service.concurrency,
        code_dir=share_code(code_dir(revision)),
        env=env,
        # Its own token too: a log is read by every member, and the token acts as the service.
        secret_values=[*secrets.values(), token],
        init={
            "op": "init",
            "entryPoint": module["entryPoint"],
            "className": module["className"],
            "initInput": service.init_input,
            "concurrency": service.concurrency,
            "sandbox": settings.DATASLOT_REPLICA_SANDBOX,
            "user": user,
            "serverHome": str(settings.DATASLOT_HOME),  # hidden from the replica
        },
        log_path=Path(settings.DATASLOT_HOME) / "logs" / f"service-{service.id}.log",
        # Running executions get at least their own timeout to finish when the service changes.
        drain_limit=float(max(service.drain_time, service.execution_timeout)),
    )


def note_sandbox_gaps(replica: ReplicaProcess, gaps, service: Service | None) -> None:
    """The protections a replica could not apply on this host: on its service (``service``,
    the dispatcher's copy, if it has one), and in its log."""
    if isinstance(gaps, list):
        gaps = [gap[:300] for gap in gaps if isinstance(gap, str)][:20]
    else:
        gaps = ["unknown: the replica did not say which protections it applied"]
    if gaps:
        replica.log_event("replica started with these protections off: " + "; ".join(gaps))
    if service is None or service.sandbox_gaps != gaps:
        service_services.service_record_sandbox_gaps(service_id=replica.service_id, gaps=gaps)
        if service is not None:
            service.sandbox_gaps = gaps
