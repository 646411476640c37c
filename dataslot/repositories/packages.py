from __future__ import annotations

import io
import json
import logging
import os
import zipfile
from pathlib import Path

from dataslot.client import dumps
from dataslot.entities.base import plain
from dataslot.entities.module import PackageFunction, PackageModule, module_from
from dataslot.entities.package import Package
from dataslot.entities.slot import slot_from
from dataslot.repositories.base import Repository

logger = logging.getLogger("dataslot")

# Never shipped in a package archive.
SKIP_DIRS = {"__pycache__", ".git", ".hg", ".svn", ".venv", "venv", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
SKIP_SUFFIXES = (".pyc", ".pyo")


class PackagesRepository(Repository):
    """``project.packages`` (or ``dl.packages``, which only gets by id)."""

    entity, noun = Package, "packages"

    def get(self, package_name: str | None = None, package_id=None) -> Package:
        return self._get(package_id, package_name)

    def push(
        self,
        src_path: str | os.PathLike | None = None,
        package_name: str | None = None,
        modules: list | None = None,
        slots: list | None = None,
        service_update: bool = False,
        checkout: bool = False,
        **ignored,
    ) -> Package:
        """Zip ``src_path`` (default: the working directory) and push it with its modules
        and slots. A name that exists gets a new revision. Without ``modules``, a
        ``package.json`` in the folder supplies them (and the name and slots), as in dtlpy.
        ``modules`` may be one module; ``service_update=True`` moves the package's services
        to the new revision."""
        unused = {k: v for k, v in ignored.items() if v not in (None, False)}
        if unused:
            logger.warning("packages.push: %s not applied in Dataslot", ", ".join(sorted(unused)))
        if isinstance(modules, PackageModule | dict):
            modules = [modules]
        folder = Path(src_path or os.getcwd()).resolve()
        if not folder.is_dir():
            raise FileNotFoundError(f"Package source folder not found: {folder}")
        manifest = _manifest(folder) if modules is None else {}
        name = package_name or manifest.get("name") or folder.name
        # Nothing declared: dtlpy's default module, whose one function is ``run`` (no inputs).
        modules = (
            modules
            if modules is not None
            else manifest.get("modules") or [PackageModule(functions=[PackageFunction()])]
        )
        slots = slots if slots is not None else manifest.get("slots")
        data = {"name": name, "modules": dumps([plain(module_from(m)) for m in modules])}
        if slots is not None:
            data["slots"] = dumps([plain(slot_from(s)) for s in slots])
        archive = zip_folder(folder)
        body = self._client.post(self._path(), None, data=data, files={"archive": ("package.zip", archive)})
        package = self._entity(body)
        if service_update:
            for service in package.services.list():
                service.package_revision = package.version
                service.update()
        return package

    def patch(self, package_id, modules=None, slots=None, src_path=None) -> dict:
        """A new revision; the archive is sent only with a new ``src_path``."""
        fields = {}
        if modules is not None:
            fields["modules"] = [plain(module_from(m)) for m in modules]
        if slots is not None:
            fields["slots"] = [plain(slot_from(s)) for s in slots]
        path = self._url(package_id)
        if src_path is None:
            return self._client.patch(path, fields)
        archive = zip_folder(Path(src_path).resolve())
        data = {k: dumps(v) for k, v in fields.items()}
        return self._client.call("PATCH", path, data=data, files={"archive": ("package.zip", archive)})


def zip_folder(folder: Path) -> io.BytesIO:
    """The folder as an in-memory zip, without caches and version-control folders."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
            for name in sorted(files):
                if name.endswith(SKIP_SUFFIXES):
                    continue
                path = Path(root) / name
                archive.write(path, path.relative_to(folder).as_posix())
    buffer.seek(0)
    return buffer


def _manifest(folder: Path) -> dict:
    path = folder / "package.json"
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)
