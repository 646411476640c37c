"""JSON output: a function returns JSON, and a synchronous run hands it back."""

import dataslot as dl  # Dataloop: import dtlpy as dl

if dl.token_expired():
    dl.login("you", "your-password")  # Dataloop: dl.login()


def summarize(config):
    numbers = config["numbers"]
    return {"count": len(numbers), "total": sum(numbers), "mean": sum(numbers) / len(numbers)}


project = dl.projects.get(project_name="Tutorials")
service = project.services.deploy(func=summarize, service_name="json-output")
output = service.execute(
    execution_input=dl.FunctionIO(type=dl.PackageInputType.JSON, name="config", value={"numbers": [1, 2, 3, 6]}),
    function_name="summarize",
    sync=True,
)
print(output)

execution = service.executions.list().items[0]
print(execution.output)
