"""``dl.Service``: one deployed module of one package revision, and the way to run it."""

from __future__ import annotations

from dataslot.entities.base import BaseEntity, plain
from dataslot.entities.module import FunctionIO, PackageModule
from dataslot.enums import PackageInputType

# What ``update()`` sends: every field a user may change (the server validates them all).
EDITABLE_FIELDS = (
    "name",
    "packageRevision",
    "moduleName",
    "initParams",
    "runtime",
    "executionTimeout",
    "drainTime",
    "onReset",
    "maxAttempts",
    "secrets",
    "active",
)

# id argument of execute() -> (input type, reference builder)
_RESOURCES = {
    "item": PackageInputType.ITEM,
    "annotation": PackageInputType.ANNOTATION,
    "task": PackageInputType.TASK,
    "dataset": PackageInputType.DATASET,
}


class Service(BaseEntity):
    __slots__ = ()
    _aliases = {"init_input": "initParams"}

    @property
    def package(self):
        from dataslot.repositories.packages import PackagesRepository

        return self._cached("package", lambda: PackagesRepository(self.client).get(package_id=self.package_id))

    @property
    def project(self):
        from dataslot.repositories.projects import ProjectsRepository

        return self._cached("project", lambda: ProjectsRepository(self.client).get(project_id=self.project_id))

    @property
    def executions(self):
        from dataslot.repositories.executions import ExecutionsRepository

        return self._cached("executions", lambda: ExecutionsRepository(self.client, service=self))

    # -- changes -------------------------------------------------------------------

    def update(self) -> Service:
        """Save every editable field; the server checks them (e.g. a non-integer timeout
        is a ``dl.exceptions.BadRequest``). Refreshes this object and returns it."""
        body = {key: plain(self._json[key]) for key in EDITABLE_FIELDS if key in self._json}
        self._replace(self.client.patch(f"/api/services/{self.id}/", body))
        return self

    def pause(self) -> Service:
        self._replace(self.client.post(f"/api/services/{self.id}/pause/"))
        return self

    def resume(self) -> Service:
        self._replace(self.client.post(f"/api/services/{self.id}/resume/"))
        return self

    def delete(self) -> bool:
        self.client.delete(f"/api/services/{self.id}/")
        return True

    def activate_slots(self, project_id=None, slots=None) -> dict:
        """Show this service's slots in a project (default: its own); ``slots=None`` means
        all the slots of the package revision it runs."""
        from dataslot.repositories.services import activate_slots

        return activate_slots(self.client, service_id=self.id, project_id=project_id or self.project_id, slots=slots)

    # -- running -------------------------------------------------------------------

    def execute(
        self,
        execution_input=None,
        function_name: str | None = None,
        item_id=None,
        annotation_id=None,
        task_id=None,
        dataset_id=None,
        project_id=None,
        sync: bool = False,
        return_output: bool = True,
        timeout: float | None = None,
    ):
        """Run a function of this service.

        Returns the created ``Execution``; with ``sync=True`` waits for it to finish and
        returns its output (``return_output=True``, raising ``ExecutionFailed`` unless it
        succeeded) or the finished execution.
        """
        from dataslot.entities.execution import Execution

        payload = _input_dict(execution_input)
        ids = {"item": item_id, "annotation": annotation_id, "task": task_id, "dataset": dataset_id}
        if any(v is not None for v in ids.values()):
            payload.update(self._reference_inputs(function_name, ids))
        body = {"input": payload}
        if function_name is not None:
            body["functionName"] = function_name
        execution = Execution(self.client.post(f"/api/services/{self.id}/execute/", body), self.client)
        if not sync:
            return execution
        execution.wait(timeout=timeout)
        if not return_output:
            return execution
        if execution.status != "success":
            from dataslot.exceptions import ExecutionFailed

            raise ExecutionFailed(execution)
        return execution.output

    def execute_batch(self, filters, function_name: str | None = None, resource=None) -> list:
        """Run the function on every entity the query matches; returns the executions
        (built lazily from their ids: ``execution.refresh()`` fetches one)."""
        from dataslot.entities.execution import Execution
        from dataslot.filters import Filters

        body = {"filter": filters.prepare() if isinstance(filters, Filters) else (filters or {})}
        if function_name is not None:
            body["functionName"] = function_name
        resource = resource or (filters.resource if isinstance(filters, Filters) else None)
        if resource is not None:
            body["resource"] = str(resource)
        answer = self.client.post(f"/api/services/{self.id}/execute-batch/", body)
        return [Execution({"id": i, "serviceId": self.id}, self.client) for i in answer.get("ids", [])]

    def _reference_inputs(self, function_name, ids: dict) -> dict:
        inputs = self._function_inputs(function_name)
        by_type = {str(io.type): io.name for io in inputs or []}
        refs = {
            "item": {"item_id": ids["item"], **({"dataset_id": ids["dataset"]} if ids["dataset"] else {})},
            "annotation": {"annotation_id": ids["annotation"], **({"item_id": ids["item"]} if ids["item"] else {})},
            "task": {"task_id": ids["task"]},
            "dataset": {"dataset_id": ids["dataset"]},
        }
        payload = {}
        for resource, value in ids.items():
            if value is None:
                continue
            input_type = str(_RESOURCES[resource])
            # An id that only qualifies another reference (the item of an annotation, the
            # dataset of an item) is not an input of its own unless the function takes one.
            qualifies = (resource == "item" and ids["annotation"] is not None) or (
                resource == "dataset" and ids["item"] is not None
            )
            if qualifies and (inputs is None or input_type not in by_type):
                continue
            payload[by_type.get(input_type, resource)] = refs[resource]
        return payload

    def _function_inputs(self, function_name) -> list[FunctionIO] | None:
        """The declared inputs of the function, from the service's package revision (one
        request, remembered); ``None`` when they cannot be known."""

        def fetch():
            try:
                revisions = self.client.get(f"/api/packages/{self.package_id}/revisions/")
            except Exception:  # noqa: BLE001 - then inputs are keyed by resource name
                return None
            revision = next((r for r in revisions if r.get("version") == self.package_revision), None)
            return revision and [PackageModule.from_json(m) for m in revision.get("modules") or []]

        modules = self._cached(f"modules@{self._json.get('packageRevision')}", fetch)
        if not modules:
            return None
        module = next((m for m in modules if m.name == self._json.get("moduleName")), modules[0])
        function = module.function(function_name)
        return function.inputs if function else None


def _input_dict(execution_input) -> dict:
    if execution_input is None:
        return {}
    if isinstance(execution_input, FunctionIO):
        execution_input = [execution_input]
    if isinstance(execution_input, list):
        return {io.name: plain(io.value) for io in execution_input}
    if isinstance(execution_input, dict):
        return plain(execution_input)
    raise TypeError("execution_input must be a dict or a list of dl.FunctionIO")
