from __future__ import annotations

from dataslot.entities.integration import Integration
from dataslot.repositories.base import Repository, need


class IntegrationsRepository(Repository):
    """``project.integrations``: named secrets, exposed to services as environment variables."""

    entity, noun = Integration, "integrations"

    def create(
        self, name: str | None = None, value: str | None = None, integrations_type=None, options: dict | None = None
    ) -> Integration:
        """A key-value secret: ``create(name, value)``, or dtlpy's
        ``create(integrations_type='key_value', name=..., options={'key': ..., 'value': ...})``."""
        if value is None and options is not None:
            value = options.get("value")
        if integrations_type not in (None, "key_value"):
            raise ValueError(f"Only key_value integrations exist in Dataslot, not {integrations_type!r}")
        need(name, "integrations.create needs a name")
        need(value, "integrations.create needs a value (or options={'key': ..., 'value': ...})")
        return self._entity(self._client.post(self._path(), {"name": name, "value": value}))

    def get(self, integration_id=None, integration_name: str | None = None) -> Integration:
        return self._get(integration_id, integration_name)
