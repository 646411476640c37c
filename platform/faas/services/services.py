"""Deploying and controlling services, and activating their slots in a project."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Now
from rest_framework.authtoken.models import Token

from faas import executor
from faas import runtime as runtime_settings
from faas.declarations import normalise_slots
from faas.enums import ExecutionStatus, OnResetAction
from faas.models import Integration, Package, Service, SlotActivation, validate_execution_timeout
from workspace.ids import is_id
from workspace.models import Membership, Project

# Fields whose change alters what a replica runs: replicas of the old config drain.
REPLICA_FIELDS = ("package_revision", "module_name", "init_input", "concurrency", "num_replicas")
EDITABLE = (
    *REPLICA_FIELDS,
    "execution_timeout",
    "drain_time",
    "on_reset",
    "max_attempts",
    "active",
    "runtime_settings",
)


def _validate(fields: dict, service: Service | None = None) -> None:
    """400s for fields that cannot be; ``service``: the one they update (a value it already
    has passes the server's limits: they bind a change, not what an operator lowered since)."""
    errors = {}
    if "execution_timeout" in fields:
        try:
            validate_execution_timeout(fields["execution_timeout"])
        except ValidationError as exc:
            errors["executionTimeout"] = exc.messages
    if "on_reset" in fields and fields["on_reset"] not in OnResetAction.values:
        errors["onReset"] = [f"Must be one of {', '.join(OnResetAction.values)}, got {fields['on_reset']!r}."]
    for key, api in (
        ("max_attempts", "maxAttempts"),
        ("concurrency", "runtime.concurrency"),
        ("num_replicas", "runtime.numReplicas"),
        ("drain_time", "drainTime"),
    ):
        value = fields.get(key)
        if key in fields and (
            isinstance(value, bool) or not isinstance(value, int) or value < (0 if key == "drain_time" else 1)
        ):
            errors[api] = [f"Must be a whole number of at least {0 if key == 'drain_time' else 1}, got {value!r}."]
    # Replicas are processes on shared hosts: one tenant's service must not take them all.
    for key, api, limit, setting in (
        ("concurrency", "runtime.concurrency", settings.DATASLOT_MAX_CONCURRENCY, "DATASLOT_MAX_CONCURRENCY"),
        ("num_replicas", "runtime.numReplicas", settings.DATASLOT_MAX_REPLICAS, "DATASLOT_MAX_REPLICAS"),
    ):
        value = fields.get(key)
        unchanged = service is not None and value == getattr(service, key)
        if api not in errors and isinstance(value, int) and value > limit and not unchanged:
            errors[api] = [f"At most {limit} on this server ({setting}), got {value}."]
    if "init_input" in fields and not isinstance(fields["init_input"], dict):
        errors["initParams"] = ["Must be an object keyed by the module's init input names."]
    if "active" in fields and not isinstance(fields["active"], bool):
        errors["active"] = ["Must be true or false."]
    if fields.get("runtime_settings") is not None:
        try:
            runtime_settings.validate_runtime_settings(
                fields["runtime_settings"], before=service.runtime_settings if service is not None else None
            )
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)


def _check_revision(package: Package, revision: int, module_name: str) -> None:
    if not is_id(revision):
        raise ValidationError({"packageRevision": f"Must be a revision number of package '{package.name}'."})
    found = package.revisions.filter(version=revision).first()
    if found is None:
        raise ValidationError({"packageRevision": f"Package '{package.name}' has no revision {revision!r}."})
    if found.module(module_name) is None:
        raise ValidationError({"moduleName": f"Revision {revision} has no module '{module_name}'."})


def _secrets(project: Project, ids) -> list[Integration]:
    if not isinstance(ids, list):
        raise ValidationError({"secrets": "Must be a list of integration ids."})
    found = {i.id: i for i in Integration.objects.filter(project=project, id__in=[i for i in ids if is_id(i)])}
    missing = [i for i in ids if not is_id(i) or i not in found]
    if missing:
        raise ValidationError({"secrets": f"No integration {', '.join(map(str, missing))} in this project."})
    return list(found.values())


def _bot_for(project: Project, name: str):
    user = get_user_model().objects.create_user(
        username=f"bot-{project.id}-{name[:100]}-{secrets.token_hex(3)}", password=None
    )
    Membership.objects.create(project=project, user=user, role=Membership.Role.DEVELOPER)
    Token.objects.create(user=user)
    return user


def service_deploy(
    *, project: Project, package: Package, name: str, fields: dict, secret_ids=None, user=None
) -> tuple[Service, bool]:
    """Create the service, or update the one of that name in the project.

    Returns (service, created). ``fields`` uses model field names.
    """
    if package.project_id != project.id:
        raise ValidationError({"packageId": "The package belongs to another project."})
    if not isinstance(name, str) or not name.strip():
        raise ValidationError({"name": "A service needs a name."})
    existing = Service.objects.filter(project=project, name=name).first()
    if existing is not None:
        if existing.package_id != package.id:
            raise ValidationError({"name": f"Service '{name}' already deploys package '{existing.package.name}'."})
        fields.setdefault("package_revision", package.version)
        return service_update(service=existing, fields=fields, secret_ids=secret_ids), False
    _validate(fields)
    revision = fields.pop("package_revision", None) or package.version
    module_name = fields.pop("module_name", None) or package.latest.modules[0]["name"]
    _check_revision(package, revision, module_name)
    integrations = _secrets(project, secret_ids or [])
    with transaction.atomic():
        service = Service(
            project=project,
            package=package,
            name=name.strip(),
            package_revision=revision,
            module_name=module_name,
            bot=_bot_for(project, name),
            **fields,
        )
        service.full_clean()
        service.save()
        service.secrets.set(integrations)
        transaction.on_commit(executor.notify)
    return service, True


def service_update(*, service: Service, fields: dict, secret_ids=None) -> Service:
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError({"detail": f"Not editable: {', '.join(sorted(unknown))}."})
    if fields.get("runtime_settings") is not None:
        # Like the other fields, a runtime key left out keeps its value; null clears it.
        merged = {**(service.runtime_settings or {}), **fields["runtime_settings"]}
        fields["runtime_settings"] = {k: v for k, v in merged.items() if v is not None}
    _validate(fields, service)
    revision = fields.get("package_revision", service.package_revision)
    module_name = fields.get("module_name", service.module_name)
    _check_revision(service.package, revision, module_name)
    integrations = _secrets(service.project, secret_ids) if secret_ids is not None else None
    with transaction.atomic():
        service = Service.objects.select_for_update().get(pk=service.pk)
        replica_change = any(getattr(service, k) != v for k, v in fields.items() if k in REPLICA_FIELDS)
        if integrations is not None and {i.id for i in integrations} != set(
            service.secrets.values_list("id", flat=True)
        ):
            replica_change = True
            service.secrets.set(integrations)
        resumed = fields.get("active") is True and not service.active
        for key, value in fields.items():
            setattr(service, key, value)
        if replica_change:
            service.config_version += 1
        if replica_change or resumed:
            service.broken_reason = ""  # what it runs changed, or it was resumed: try it again
        service.full_clean()
        service.save()
        transaction.on_commit(executor.notify)
        if resumed:
            # What was queued while it was paused runs now (scale-out: published again).
            waiting = service.executions.filter(status=ExecutionStatus.CREATED)
            queued = list(waiting.values_list("id", flat=True))
            if queued:
                waiting.update(enqueued_at=Now(), published_at=Now())
                executor.enqueue_on_commit(queued, service=service)
    return service


def service_mark_broken(*, service: Service, reason: str) -> bool:
    """Record why a service cannot run (its queued executions fail with it; only it stops).

    Only the config that failed is marked: an update since then is tried afresh. Returns
    whether it was marked.
    """
    marked = Service.objects.filter(pk=service.pk, config_version=service.config_version).update(broken_reason=reason)
    if marked:
        service.broken_reason = reason
    return bool(marked)


def service_record_sandbox_gaps(*, service_id: int, gaps: list[str]) -> None:
    """The protections its replicas could not apply on this host (shown on the service)."""
    Service.objects.filter(pk=service_id).update(sandbox_gaps=gaps)


def service_bot_token(*, service: Service) -> str:
    """The key its replicas call the API with, as the service's bot."""
    token, _ = Token.objects.get_or_create(user_id=service.bot_id)
    return token.key


def service_pause(*, service: Service) -> Service:
    return service_update(service=service, fields={"active": False})


def service_resume(*, service: Service) -> Service:
    return service_update(service=service, fields={"active": True})


def service_restart(*, service: Service) -> Service:
    """Replace the service's replicas (dtlpy's ``service.restart()``): as on an update, the
    running executions drain first; a broken service is tried again."""
    with transaction.atomic():
        Service.objects.filter(pk=service.pk).update(config_version=F("config_version") + 1, broken_reason="")
        transaction.on_commit(executor.notify)
    service.refresh_from_db()
    return service


def service_delete(*, service: Service) -> None:
    with transaction.atomic():
        bot = service.bot
        service.delete()
        bot.delete()
        transaction.on_commit(executor.notify)


def project_services_delete(*, project: Project) -> None:
    """A project is being deleted (``workspace.events.project_deleting``): each of its
    services goes as a service delete does it (a service protects its package and owns its bot)."""
    for service in Service.objects.filter(project=project).select_related("bot"):
        service_delete(service=service)


def slots_activate(*, service: Service, project: Project, slots=None) -> SlotActivation:
    """Make slots of a service visible in a project; activating again updates them.

    ``slots`` of None means all the slots of the service's package revision.
    """
    if project.id != service.project_id:
        raise ValidationError({"projectId": "A service's slots can be activated only in its own project."})
    revision = service.package.revisions.get(version=service.package_revision)
    chosen = revision.slots if slots is None else normalise_slots(slots, revision.modules)
    wrong = [s for s in chosen if s["moduleName"] != service.module_name]
    if wrong:
        raise ValidationError(
            {
                "slots": f"Slot '{wrong[0]['displayName']}' is for module '{wrong[0]['moduleName']}'; "
                f"this service runs module '{service.module_name}'."
            }
        )
    activation, _ = SlotActivation.objects.update_or_create(
        project=project, service=service, defaults={"slots": chosen}
    )
    return activation
