"""Batch execution with pause and resume: queue a function on every matching item while
the service is paused, then resume it and let the queue drain."""

import os

import dataslot as dl  # Dataloop: import dtlpy as dl

if dl.token_expired():
    dl.login("you", "your-password")  # Dataloop: dl.login()

ASSETS = os.path.join(os.path.dirname(__file__), "..", "assets")


def stamp(item: dl.Item, stamp: str):
    item.metadata.setdefault("user", {})["stamp"] = stamp
    item.update()
    return item.name


project = dl.projects.get(project_name="Tutorials")
dataset = project.datasets.create(dataset_name="batch")
dataset.items.upload(
    local_path=[os.path.join(ASSETS, f"{name}.png") for name in ("red", "green", "blue")], remote_path="/batch"
)
service = project.services.deploy(func=stamp, service_name="batch-stamp")

service.pause()
filters = dl.Filters(field="dir", values="/batch", context={"datasets": [dataset.id]})
command = service.execute_batch(
    filters=filters,
    function_name="stamp",
    execution_inputs=dl.FunctionIO(type=dl.PackageInputType.STRING, name="stamp", value="seen"),
    wait=True,
)
command = command.wait()
executions = service.executions.list(
    filters=dl.Filters(resource=dl.FiltersResource.EXECUTION, field="functionName", values="stamp")
)
queued = [execution.status for execution in executions.all()]
print(queued)  # nothing runs while the service is paused

service.resume()
finished = [execution.wait() for execution in executions.all()]
print(sorted(execution.output for execution in finished))

stamped = dataset.items.list(filters=dl.Filters(field="metadata.user.stamp", values="seen"))
print(stamped.items_count)
