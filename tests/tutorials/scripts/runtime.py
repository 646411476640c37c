"""Runtime: concurrency, replicas and the autoscaler of a service; settings that name
Dataloop's cloud are kept and reported as not applied."""

import dataslot as dl  # Dataloop: import dtlpy as dl

if dl.token_expired():
    dl.login("you", "your-password")  # Dataloop: dl.login()


def hello(config):
    return {"hello": config}


project = dl.projects.get(project_name="Tutorials")
service = project.services.deploy(
    func=hello,
    service_name="runtime-service",
    runtime=dl.KubernetesRuntime(
        pod_type=dl.InstanceCatalog.GPU_T4_S,
        concurrency=4,
        autoscaler=dl.KubernetesRabbitmqAutoscaler(min_replicas=0, max_replicas=2, queue_length=10),
    ),
)
print(service.runtime.concurrency, service.runtime.pod_type, service.runtime.autoscaler)

# Change the runtime in place and save it.
service.runtime.concurrency = 2
service.runtime.autoscaler = dl.KubernetesRabbitmqAutoscaler(min_replicas=1, max_replicas=3)
service = service.update()
print(service.runtime.concurrency, service.runtime.autoscaler.max_replicas)

output = service.execute(execution_input={"config": "world"}, function_name="hello", sync=True)
print(output)

# An autoscaler whose minimum is above its maximum is refused.
service.runtime.autoscaler = dl.KubernetesRabbitmqAutoscaler(min_replicas=5, max_replicas=2)
try:
    service.update()
except dl.exceptions.BadRequest as error:
    refused = str(error)
    print(refused)
