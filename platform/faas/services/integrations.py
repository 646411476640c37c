"""Integrations: named secrets of a project, encrypted at rest and write-only."""

from django.core.exceptions import ValidationError
from django.db import transaction

from faas.crypto import decrypt, encrypt
from faas.models import Integration, Service


def _check_value(value) -> str:
    if not isinstance(value, str) or not value:
        raise ValidationError({"value": "A secret needs a non-empty text value."})
    return value


@transaction.atomic
def integration_create(*, project, name: str, value: str, user=None) -> Integration:
    integration = Integration(project=project, name=name, encrypted_value=encrypt(_check_value(value)), created_by=user)
    integration.full_clean()
    integration.save()
    return integration


@transaction.atomic
def integration_set_value(*, integration: Integration, value: str) -> Integration:
    integration.encrypted_value = encrypt(_check_value(value))
    integration.save(update_fields=["encrypted_value", "updated_at"])
    # Replicas read secrets at start: replace them so the new value takes effect.
    for service in integration.services.all():
        Service.objects.filter(pk=service.pk).update(config_version=service.config_version + 1)
    return integration


def integration_delete(*, integration: Integration) -> None:
    integration.delete()


def service_secret_env(*, service: Service) -> dict[str, str]:
    """The environment a service's replicas get: each integration's name -> its value.

    Only the dispatcher calls this, when it starts a replica of this service.
    """
    return {i.name: decrypt(i.encrypted_value) for i in service.secrets.all()}
