"""Secrets: an integration's value reaches the function as an environment variable named
after the integration (hyphens and all), and nowhere else."""

import dataslot as dl  # Dataloop: import dtlpy as dl

if dl.token_expired():
    dl.login("you", "your-password")  # Dataloop: dl.login()


def use_key():
    import os

    key = os.environ["my-api-key"]
    print(f"the key is {key}")  # the captured log shows it redacted
    return {"length": len(key), "starts": key[:3]}


project = dl.projects.get(project_name="Tutorials")
integration = project.integrations.create(
    integrations_type="key_value", name="my-api-key", options={"key": "my-api-key", "value": "abc-123-secret"}
)
service = project.services.deploy(func=use_key, service_name="with-integrations", secrets=[integration.id])

execution = service.execute(function_name="use_key")
execution = execution.wait()
print(execution.output)
log = "".join(execution.logs())
