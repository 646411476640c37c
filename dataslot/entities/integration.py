"""``dl.Integration``: a named secret of a project. Its value is write-only."""

from __future__ import annotations

from dataslot.entities.base import BaseEntity


class Integration(BaseEntity):
    __slots__ = ()

    def update(self, value: str) -> Integration:
        """Replace the secret's value (it is never read back)."""
        self._replace(self.client.patch(f"/api/integrations/{self.id}/", {"value": value}))
        return self

    def delete(self) -> bool:
        self.client.delete(f"/api/integrations/{self.id}/")
        return True
