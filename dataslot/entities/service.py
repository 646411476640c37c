"""``dl.Service``: one deployed module of one package revision, and the way to run it."""

from __future__ import annotations

import logging

from dataslot import references
from dataslot.entities.base import BaseEntity, plain
from dataslot.entities.command import Command
from dataslot.entities.execution import Execution
from dataslot.entities.module import FunctionIO, PackageModule
from dataslot.entities.runtime import KubernetesRuntime, runtime_from
from dataslot.enums import PackageInputType
from dataslot.exceptions import DataslotError
from dataslot.filters import Filters, query_for

logger = logging.getLogger("dataslot")

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
    "integrations",
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
        return self._cached("package", lambda: self._repository("packages").get(package_id=self.package_id))

    @property
    def project(self):
        return self._cached("project", lambda: self._repository("projects").get(project_id=self.project_id))

    @property
    def executions(self):
        return self._cached("executions", lambda: self._repository("executions", service=self))

    @property
    def runtime(self) -> KubernetesRuntime:
        """``service.runtime.concurrency``...; change it in place (or assign a new
        ``dl.KubernetesRuntime``) and ``update()``."""
        value = self._json.get("runtime")
        if not isinstance(value, KubernetesRuntime):
            value = self._json["runtime"] = KubernetesRuntime.from_json(value)
        return value

    @runtime.setter
    def runtime(self, value) -> None:
        self._json["runtime"] = runtime_from(value)

    @property
    def not_applied(self) -> list[dict]:
        """Settings the server keeps as sent but does not act on: ``[{field, value, reason}]``."""
        return list(self._json.get("notApplied") or [])

    @property
    def revisions(self) -> _Revisions:
        """The revisions of the package this service runs, each marked ``current`` or not
        (dtlpy's ``service.revisions``; calling it, ``service.revisions()``, works too)."""
        current = self._json.get("packageRevision")
        rows = self.client.get(f"/api/packages/{self.package_id}/revisions/")
        return _Revisions({**r, "current": r.get("version") == current} for r in rows)

    @property
    def triggers(self):
        return self._cached("triggers", lambda: self._repository("triggers", service=self))

    # -- changes -------------------------------------------------------------------

    def update(self) -> Service:
        """Save every editable field; the server checks them (e.g. a non-integer timeout
        is a ``dl.exceptions.BadRequest``). Refreshes this object and returns it."""
        body = {key: plain(self._json[key]) for key in EDITABLE_FIELDS if self._json.get(key) is not None}
        self._replace(self.client.patch(f"/api/services/{self.id}/", body))
        warn_not_applied(self)
        return self

    def restart(self, replica_name=None) -> bool:
        """Replace the service's replicas (running executions drain first, as on an update)."""
        self._replace(self.client.post(f"/api/services/{self.id}/restart/"))
        return True

    def status(self) -> dict:
        """``{"status": "active"|"paused"|"broken", ...}`` with why it cannot run, the sandbox
        protections the host lacks, and the runtime settings not applied here."""
        self._replace(self.client.get(f"/api/services/{self.id}/"))
        json = self._json
        state = "broken" if json.get("brokenReason") else ("active" if json.get("active") else "paused")
        return {
            "status": state,
            "active": json.get("active"),
            "brokenReason": json.get("brokenReason"),
            "sandboxGaps": json.get("sandboxGaps") or [],
            "runtime": plain(json.get("runtime")),
            "notApplied": json.get("notApplied") or [],
        }

    def log(
        self,
        size: int | None = 100,
        follow: bool = False,
        execution_id=None,
        function_name: str | None = None,
        view: bool = True,
        until_completed: bool = True,
        **ignored,
    ):
        """The output of the service's executions (newest ``size`` of them, oldest first),
        each line prefixed with its execution id. ``view=True`` (dtlpy's default) prints it;
        ``view=False`` returns the lines. ``follow=True`` follows the newest one until it ends."""
        if execution_id is not None:
            executions = [Execution({"id": getattr(execution_id, "id", execution_id)}, self.client)]
        else:
            pages = self.executions.list(function_name=function_name, page_size=size or 100)
            executions = list(reversed(pages.items))
        lines = []
        for index, execution in enumerate(executions):
            last = index == len(executions) - 1
            for line in execution.logs(follow=follow and last and until_completed, view=False):
                text = f"{execution.id}: {line.rstrip(chr(10))}"
                if view:
                    print(text, flush=True)
                lines.append(text)
        return None if view else lines

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
        return self._repository("services").activate_slots(self, project_id=project_id or self.project_id, slots=slots)

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
        stream_logs: bool = True,
        resource=None,
    ):
        """Run a function of this service.

        Returns the created ``Execution``; with ``sync=True`` waits for it to finish (printing
        its output as it comes when ``stream_logs``, dtlpy's default) and returns its output
        (``return_output=True``) or the finished execution. As in dtlpy, a failed execution's
        output is ``None``; the SDK logs a warning with its message.
        """
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
        if stream_logs and return_output:
            try:
                execution.wait_printing_logs(timeout=timeout)
            except DataslotError as exc:  # the output is a convenience: the wait below still says how it ended
                logger.warning("Could not stream the logs of execution %s: %s", execution.id, exc)
        execution.wait(timeout=timeout)
        if execution.status != "success":
            status = execution.latest_status or {}
            logger.warning(
                "Execution %s ended %s: %s", execution.id, execution.status, status.get("message") or "no message"
            )
        if not return_output:
            return execution
        return execution.output

    def execute_batch(
        self, filters, function_name: str | None = None, execution_inputs=None, wait: bool = True, resource=None
    ):
        """Run the function on every entity the query matches (in this service's project),
        each with ``execution_inputs`` (a dict or ``dl.FunctionIO``s) as its other inputs.

        Returns a ``dl.Command``; its ``executions`` (also what iterating it gives) are built
        from their ids: ``execution.refresh()`` fetches one."""
        if filters is None:
            raise ValueError("execute_batch needs filters: dl.Filters() selects every visible item")
        body = {"filter": query_for(filters, self.client, self.project_id)}
        if function_name is not None:
            body["functionName"] = function_name
        extra = _input_dict(execution_inputs)
        if extra:
            body["args"] = extra
        resource = resource or (filters.resource if isinstance(filters, Filters) else None)
        if resource is not None:
            body["resource"] = str(resource)
        answer = self.client.post(f"/api/services/{self.id}/execute-batch/", body)
        return Command(
            {"status": "success", "serviceId": self.id, "executionIds": answer.get("ids", [])}, self.client
        ).wait()

    def _reference_inputs(self, function_name, ids: dict) -> dict:
        inputs = self._function_inputs(function_name)
        by_type = {str(io.type): io.name for io in inputs or []}
        refs = {
            "item": references.build("Item", ids["item"], dataset_id=ids["dataset"]),
            "annotation": references.build("Annotation", ids["annotation"], item_id=ids["item"]),
            "task": references.build("Task", ids["task"]),
            "dataset": references.build("Dataset", ids["dataset"]),
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
    raise TypeError("execution inputs must be a dict or a list of dl.FunctionIO")


class _Revisions(list):
    """A list that can also be called: dtlpy has ``service.revisions`` as a property, and
    tutorials call it, so both spellings work."""

    def __call__(self) -> _Revisions:
        return self


def warn_not_applied(service: Service) -> None:
    """Say which settings were kept but are not acted on here (never a silent drop)."""
    for entry in service.not_applied:
        logger.warning(
            "Service %r: %s = %r is not applied in Dataslot: %s",
            service._json.get("name"),
            entry.get("field"),
            entry.get("value"),
            entry.get("reason"),
        )
