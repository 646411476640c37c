"""Progress and context: a function reports how far it is and knows where it runs."""

import os

import dataslot as dl  # Dataloop: import dtlpy as dl

if dl.token_expired():
    dl.login("you", "your-password")  # Dataloop: dl.login()

project = dl.projects.get(project_name="Tutorials")
dataset = project.datasets.create(dataset_name="progress")
item = dataset.items.upload(local_path=os.path.join(os.path.dirname(__file__), "..", "assets", "blue.png"))

package = project.packages.push(
    package_name="progress",
    src_path=os.path.join(os.path.dirname(__file__), "..", "packages", "progress"),
    modules=[
        dl.PackageModule(
            functions=dl.PackageFunction(name="run", inputs=dl.FunctionIO(type=dl.PackageInputType.ITEM, name="item"))
        )
    ],
)
service = package.services.deploy(service_name="progress")

execution = service.execute(item_id=item.id, function_name="run")
execution = execution.wait()
print(execution.latest_status)
print(execution.output)
