from __future__ import annotations

import logging

from dataslot import exceptions
from dataslot.entities.base import plain
from dataslot.entities.module import FunctionIO
from dataslot.entities.runtime import KubernetesRuntime, runtime_from
from dataslot.entities.service import Service, warn_not_applied
from dataslot.entities.slot import slot_from
from dataslot.repositories.base import Repository, need, one_by_name
from dataslot.repositories.functions import push_function
from dataslot.repositories.projects import ProjectsRepository

logger = logging.getLogger("dataslot")


class ServicesRepository(Repository):
    """``package.services`` / ``project.services`` (or ``dl.services``, by id only)."""

    entity, noun, scopes = Service, "services", ("project", "package")

    def _project_id(self, project_id=None):
        project_id = project_id or (self.project.id if self.project is not None else None)
        if project_id is None and self.package is not None:
            project_id = self.package.project_id
        return need(project_id, "This needs a project: use project.services or package.services")

    def list(self, project_id=None) -> list[Service]:
        """The project's services; from ``package.services``, only that package's."""
        path = f"/api/projects/{self._project_id(project_id)}/services/"
        services = [self._entity(j) for page in self._client.iter_pages(path) for j in page]
        if self.package is not None:
            services = [s for s in services if s._json.get("packageId") == self.package.id]
        return services

    def get(self, service_name: str | None = None, service_id=None, project_id=None) -> Service:
        """By id, or by name in this repository's project; from ``dl.services`` (no project),
        by a name that only one of the caller's projects has."""
        if service_id is not None:
            return self._get(service_id)
        need(service_name, "services.get needs service_name or service_id")
        if project_id is not None or self.project is not None or self.package is not None:
            return one_by_name(self.list(project_id=project_id), service_name, "Service")
        found = [
            service
            for project in ProjectsRepository(self._client).list()
            for service in ServicesRepository(self._client, project=project).list()
            if service._json.get("name") == service_name
        ]
        if not found:
            raise exceptions.NotFound(f"Service not found: {service_name!r} in any of your projects")
        if len(found) > 1:
            projects = ", ".join(sorted(str(s._json.get("projectId")) for s in found))
            raise exceptions.BadRequest(
                f"Service {service_name!r} is in several of your projects ({projects}): give project_id"
            )
        return found[0]

    def deploy(
        self,
        service_name: str | None = None,
        package=None,
        module_name: str | None = None,
        execution_timeout=None,
        on_reset=None,
        max_attempts=None,
        secrets=None,
        init_input=None,
        runtime=None,
        drain_time=None,
        package_revision=None,
        active=None,
        name: str | None = None,
        func=None,
        pod_type=None,
        integrations=None,
        project_id=None,
        revision=None,
        **ignored,
    ):
        """Deploy a module of the package; a service of that name in the project is updated.

        ``name`` is accepted for ``service_name`` (the seed uses it). Options left ``None``
        take the server's defaults (timeout 3600 s, ``on_reset`` ``failed``, ...).
        ``func=<a Python function>`` packs that function's source as a package of its own
        (named after the service) and deploys it, as dtlpy does. ``runtime`` is a
        ``dl.KubernetesRuntime`` (or its JSON); settings the server keeps but does not apply
        (``pod_type``, ``runner_image``...) are logged as warnings.
        """
        unused = {k: v for k, v in ignored.items() if v not in (None, False)}
        if unused:
            logger.warning("services.deploy: %s not applied in Dataslot", ", ".join(sorted(unused)))
        if func is not None:
            project = self.project
            if project is None:
                project = ProjectsRepository(self._client).get(project_id=self._project_id(project_id))
            package = push_function(project, func, name=service_name or name or func.__name__.replace("_", "-"))
        package = package or self.package
        need(package, "deploy needs a package (or func=): use package.services.deploy or pass package=")
        if package_revision is None and revision is not None:
            package_revision = revision
        runtime = runtime_from(runtime)
        if pod_type is not None:
            runtime = runtime or KubernetesRuntime()
            runtime.pod_type = pod_type
        body = {
            "name": service_name or name or package.name,
            "packageId": package.id,
            "packageRevision": package_revision if package_revision is not None else package.version,
            "moduleName": module_name,
            "initParams": _init_params(init_input),
            "runtime": plain(runtime),
            "executionTimeout": execution_timeout,
            "drainTime": drain_time,
            "onReset": on_reset,
            "maxAttempts": max_attempts,
            "secrets": None if secrets is None else [getattr(s, "id", s) for s in _as_list(secrets)],
            "integrations": None if integrations is None else [getattr(i, "id", i) for i in _as_list(integrations)],
            "active": active,
        }
        body = {k: plain(v) for k, v in body.items() if v is not None}
        path = f"/api/projects/{self._project_id(package.project_id)}/services/"
        service = self._entity(self._client.post(path, body))
        warn_not_applied(service)
        return service

    def activate_slots(self, service, project_id=None, slots=None) -> dict:
        """Make the service's slots visible in a project (``slots=None``: all of its package's)."""
        service_id = getattr(service, "id", service)
        project_id = project_id or getattr(service, "project_id", None) or self._project_id()
        return activate_slots(self._client, service_id=service_id, project_id=project_id, slots=slots)


def activate_slots(client, *, service_id, project_id, slots) -> dict:
    body = {"projectId": project_id, "slots": None if slots is None else [plain(slot_from(s)) for s in slots]}
    return client.post(f"/api/services/{service_id}/activate-slots/", body)


def _init_params(init_input):
    if init_input is None:
        return None
    if isinstance(init_input, FunctionIO):
        init_input = [init_input]
    if isinstance(init_input, list):
        return {io.name: io.value for io in init_input}
    return dict(init_input)


def _as_list(value) -> list:
    return list(value) if isinstance(value, list | tuple) else [value]
