"""Several functions and modules: one package, two modules, each deployed as a service."""

import os

import dataslot as dl  # Dataloop: import dtlpy as dl

if dl.token_expired():
    dl.login("you", "your-password")  # Dataloop: dl.login()

project = dl.projects.get(project_name="Tutorials")
dataset = project.datasets.create(dataset_name="multiple-functions")
item = dataset.items.upload(local_path=os.path.join(os.path.dirname(__file__), "..", "assets", "green.png"))

modules = [
    dl.PackageModule(
        name="first-module",
        entry_point="first_module.py",
        functions=[
            dl.PackageFunction(name="describe", inputs=dl.FunctionIO(type=dl.PackageInputType.ITEM, name="item")),
            dl.PackageFunction(
                name="tag",
                inputs=[
                    dl.FunctionIO(type=dl.PackageInputType.ITEM, name="item"),
                    dl.FunctionIO(type=dl.PackageInputType.STRING, name="tag"),
                ],
            ),
        ],
    ),
    dl.PackageModule(
        name="second-module",
        entry_point="second_module.py",
        functions=dl.PackageFunction(name="add", inputs=dl.FunctionIO(type=dl.PackageInputType.JSON, name="config")),
    ),
]
package = project.packages.push(
    package_name="multiple-functions",
    src_path=os.path.join(os.path.dirname(__file__), "..", "packages", "multiple_functions"),
    modules=modules,
)

first = package.deploy(service_name="first-module-service", module_name="first-module")
second = package.deploy(service_name="second-module-service", module_name="second-module")

description = first.execute(item_id=item.id, function_name="describe", sync=True)
tagged = first.execute(execution_input={"item": {"item_id": item.id}, "tag": "checked"}, function_name="tag", sync=True)
total = second.execute(execution_input={"config": {"a": 2, "b": 3}}, function_name="add", sync=True)
print(description, tagged, total)
