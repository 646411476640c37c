from __future__ import annotations

from dataslot.entities.integration import Integration
from dataslot.repositories.base import need, one_by_name


class IntegrationsRepository:
    """``project.integrations``: named secrets, exposed to services as environment variables."""

    def __init__(self, client, project=None):
        self._client = client
        self.project = project

    def _path(self) -> str:
        need(self.project, "This needs a project: use project.integrations")
        return f"/api/projects/{self.project.id}/integrations/"

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
        return Integration(self._client.post(self._path(), {"name": name, "value": value}), self._client)

    def list(self) -> list[Integration]:
        return [Integration(j, self._client) for page in self._client.iter_pages(self._path()) for j in page]

    def get(self, integration_id=None, integration_name: str | None = None) -> Integration:
        if integration_id is not None:
            return Integration(self._client.get(f"/api/integrations/{integration_id}/"), self._client)
        need(integration_name, "integrations.get needs integration_id or integration_name")
        return one_by_name(self.list(), integration_name, "Integration")

    def delete(self, integration_id) -> bool:
        self._client.delete(f"/api/integrations/{integration_id}/")
        return True
