"""``dl.Package``: a code archive with its modules and UI slots; every change is a revision."""

from __future__ import annotations

from dataslot.entities.base import BaseEntity
from dataslot.entities.module import PackageModule, module_from
from dataslot.entities.slot import PackageSlot, slot_from


class Package(BaseEntity):
    __slots__ = ()

    def _typed_list(self, key: str, convert) -> list:
        # Converted once and stored back, so ``package.slots.append(...)`` is kept by update().
        values = self._json.get(key)
        if values is None:
            values = self._json[key] = []
        elif any(isinstance(v, dict) for v in values):
            values = self._json[key] = [convert(v) for v in values]
        return values

    @property
    def slots(self) -> list[PackageSlot]:
        return self._typed_list("slots", slot_from)

    @slots.setter
    def slots(self, value) -> None:
        self._json["slots"] = [slot_from(v) for v in value or []]

    @property
    def modules(self) -> list[PackageModule]:
        return self._typed_list("modules", module_from)

    @modules.setter
    def modules(self, value) -> None:
        self._json["modules"] = [module_from(v) for v in value or []]

    @property
    def project(self):
        return self._cached("project", lambda: self._repository("projects").get(project_id=self.project_id))

    @property
    def services(self):
        return self._cached("services", lambda: self._repository("services", package=self))

    def deploy(self, service_name: str | None = None, **kwargs):
        """``package.services.deploy(...)`` (dtlpy's shorthand)."""
        return self.services.deploy(service_name=service_name, package=self, **kwargs)

    @property
    def revisions(self) -> list[dict]:
        """``[{version, modules, slots, createdAt}]``, oldest first as the server lists them."""
        return self.client.get(f"/api/packages/{self.id}/revisions/")

    def module(self, name: str | None = None) -> PackageModule | None:
        modules = self.modules
        if name is None:
            return modules[0] if modules else None
        return next((m for m in modules if m.name == name), None)

    def update(self, src_path: str | None = None) -> Package:
        """Save the current modules and slots as a new revision (with a new archive if
        ``src_path`` is given); returns the package, refreshed to that revision."""
        json = self._repository("packages").patch(self.id, modules=self.modules, slots=self.slots, src_path=src_path)
        self._replace(json)
        return self

    def delete(self) -> bool:
        self.client.delete(f"/api/packages/{self.id}/")
        return True
