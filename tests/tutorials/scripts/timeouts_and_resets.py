"""Timeouts and resets: an execution that runs past the service's timeout is stopped, and
the service decides whether it fails or runs again."""

import os

import dataslot as dl  # Dataloop: import dtlpy as dl

if dl.token_expired():
    dl.login("you", "your-password")  # Dataloop: dl.login()

project = dl.projects.get(project_name="Tutorials")
package = project.packages.push(
    package_name="timeouts",
    src_path=os.path.join(os.path.dirname(__file__), "..", "packages", "timeouts"),
    modules=[dl.PackageModule(functions=[dl.PackageFunction(name="run")])],
)
service = package.services.deploy(service_name="timeouts")

service.execution_timeout = 1  # seconds; the default is one hour
service.on_reset = "failed"
service.update()

execution = service.execute(function_name="run")
execution = execution.wait()
print(execution.status, execution.latest_status["message"])

# The other choice: run it again, up to max_attempts times.
service.on_reset = "rerun"
service.max_attempts = 2
service = service.update()
print(service.on_reset, service.max_attempts)

# A timeout must be a natural number of seconds.
try:
    service.execution_timeout = 1.5
    service.update()
except dl.exceptions.BadRequest as error:
    refused = str(error)
    print(refused)
