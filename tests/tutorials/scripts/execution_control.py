"""Execution control: stop a long execution at a checkpoint, and see what a failing
function gives back when run synchronously."""

import os
import time

import dataslot as dl  # Dataloop: import dtlpy as dl

if dl.token_expired():
    dl.login("you", "your-password")  # Dataloop: dl.login()

project = dl.projects.get(project_name="Tutorials")
package = project.packages.push(
    package_name="execution-control",
    src_path=os.path.join(os.path.dirname(__file__), "..", "packages", "execution_control"),
    modules=[
        dl.PackageModule(
            functions=[
                dl.PackageFunction(name="train", inputs=dl.FunctionIO(type=dl.PackageInputType.JSON, name="config")),
                dl.PackageFunction(name="fail"),
            ]
        )
    ],
)
service = package.services.deploy(service_name="execution-control")

execution = service.execute(execution_input={"config": {"epochs": 1000}}, function_name="train")
while execution.latest_status["percentComplete"] == 0:  # wait for the first epoch
    time.sleep(0.1)
    execution = dl.executions.get(execution_id=execution.id)
execution.terminate()
execution = execution.wait()
print(execution.status, execution.latest_status["message"])

# A function that raises: run synchronously, the output of a failed execution is None.
output = service.execute(function_name="fail", sync=True)
filters = dl.Filters(resource=dl.FiltersResource.EXECUTION, field="functionName", values="fail")
failed = service.executions.list(filters=filters).items[0]
print(output, failed.status, failed.latest_status["message"])
