"""Service logs: follow one execution's output, and read the service's log."""

import dataslot as dl  # Dataloop: import dtlpy as dl

if dl.token_expired():
    dl.login("you", "your-password")  # Dataloop: dl.login()

dl.verbose.logging_level = dl.VerboseLoggingLevel.WARNING


def count(config):
    import time

    for step in range(config["steps"]):
        print(f"step {step}")
        time.sleep(0.05)
    return config["steps"]


project = dl.projects.get(project_name="Tutorials")
service = project.services.deploy(func=count, service_name="service-logs")

execution = service.execute(execution_input={"config": {"steps": 5}}, function_name="count")
execution.logs(follow=True)

service.log()
