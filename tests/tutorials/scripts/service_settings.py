"""Service settings: init inputs, finding a service by name, pausing, resuming, status,
revisions and a restart."""

import os

import dataslot as dl  # Dataloop: import dtlpy as dl

if dl.token_expired():
    dl.login("you", "your-password")  # Dataloop: dl.login()

project = dl.projects.get(project_name="Tutorials")
package = project.packages.push(
    package_name="greeter",
    src_path=os.path.join(os.path.dirname(__file__), "..", "packages", "greeter"),
    modules=[
        dl.PackageModule(
            init_inputs=dl.FunctionIO(type=dl.PackageInputType.STRING, name="greeting"),
            functions=dl.PackageFunction(
                name="greet", inputs=dl.FunctionIO(type=dl.PackageInputType.STRING, name="name")
            ),
        )
    ],
)
package.services.deploy(
    service_name="greeter",
    init_input=dl.FunctionIO(type=dl.PackageInputType.STRING, name="greeting", value="hello"),
    max_attempts=2,
    drain_time=60,
)

# Anywhere in a script: the service by its name.
service = dl.services.get(service_name="greeter")
print(service.execute(execution_input={"name": "ada"}, function_name="greet", sync=True))

service.pause()
print(service.status()["status"])
service.resume()
print(service.status()["status"])

print([revision["version"] for revision in service.revisions()])
service.restart()

service.init_input = {"greeting": "good morning"}
service = service.update()
greeting = service.execute(execution_input={"name": "ada"}, function_name="greet", sync=True)
print(greeting)
