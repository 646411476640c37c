"""Services over HTTP: deploy, update, pause/resume/restart and slot activation."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from faas.api import schema as s
from faas.api.common import ManagementView, get_for_user
from faas.models import Integration, Package, Service
from faas.representations import service_json
from faas.services import services as service_services
from workspace.ids import id_field_from, is_id
from workspace.selectors.projects import MEMBERS, WRITERS, project_get_for_user

SERVICE_FIELDS = {
    "packageRevision": "package_revision",
    "moduleName": "module_name",
    "initParams": "init_input",
    "executionTimeout": "execution_timeout",
    "drainTime": "drain_time",
    "onReset": "on_reset",
    "maxAttempts": "max_attempts",
    "active": "active",
}
RUNTIME_FIELDS = {"concurrency": "concurrency", "numReplicas": "num_replicas"}


def service_fields(data, *, identity: tuple[str, ...] = ()) -> dict:
    """The API's camelCase service fields as model fields, values untouched (the service
    validates). Anything else is refused, so a change that cannot happen is never silent;
    ``identity`` names the keys a deploy uses to find or create the service."""
    unknown = set(data) - set(SERVICE_FIELDS) - {"runtime", "secrets", "integrations", *identity}
    if unknown:
        errors = {
            key: ["Cannot be changed: deploy a new service under the new name."]
            if key == "name"
            else ["Not a service field that can be changed."]
            for key in sorted(unknown)
        }
        raise exceptions.ValidationError(errors)
    fields = {model: data[api] for api, model in SERVICE_FIELDS.items() if api in data}
    runtime = data.get("runtime")
    if runtime is not None and not isinstance(runtime, dict):
        raise exceptions.ValidationError({"runtime": ["Must be an object: {concurrency, numReplicas, podType, ...}."]})
    for api, model in RUNTIME_FIELDS.items():
        if runtime and api in runtime:
            fields[model] = runtime[api]
    if runtime:
        # The rest (podType, runnerImage, autoscaler, ...) is kept; see faas.runtime.
        fields["runtime_settings"] = {k: v for k, v in runtime.items() if k not in RUNTIME_FIELDS}
    return fields


def secret_ids(data, *, project_id: int):
    """``secrets`` plus dtlpy's ``integrations`` (``[id]`` or ``[{"value": id, "env": name}]``):
    the integration ids a service's replicas get as environment variables; None: unchanged."""
    secrets = data.get("secrets")
    if secrets is not None and not isinstance(secrets, list):
        raise exceptions.ValidationError({"secrets": ["Must be a list of integration ids."]})
    integrations = data.get("integrations")
    if integrations is None:
        return secrets
    if not isinstance(integrations, list):
        raise exceptions.ValidationError({"integrations": ["Must be a list of integration ids or {value, env}."]})
    ids = list(secrets or [])
    for index, entry in enumerate(integrations):
        if isinstance(entry, dict):
            if entry.get("env") is not None:
                # The variable is named by the integration; another name would be silently not set.
                # Of this project only: another project's integration answers as a missing one.
                integration = Integration.objects.filter(
                    pk=entry.get("value") if is_id(entry.get("value")) else None, project_id=project_id
                ).first()
                if integration is None or integration.name != entry["env"]:
                    raise exceptions.ValidationError(
                        {
                            f"integrations[{index}].env": [
                                "The environment variable is named after the integration: leave env out or give its name."
                            ]
                        }
                    )
            entry = entry.get("value")
        ids.append(entry)
    return ids


class ProjectServicesView(ManagementView):
    @extend_schema(responses={200: s.ServiceSerializer(many=True)})
    def get(self, request, project_id):
        project = project_get_for_user(user=request.user, project_id=project_id, roles=MEMBERS)
        services = Service.objects.filter(project=project).prefetch_related("secrets").order_by("id")
        return Response([service_json(s) for s in services])

    @extend_schema(request=s.ServiceDeploySerializer, responses={200: s.ServiceSerializer, 201: s.ServiceSerializer})
    def post(self, request, project_id):
        project = project_get_for_user(user=request.user, project_id=project_id, roles=WRITERS)
        package = get_for_user(Package, id_field_from(request.data, "packageId"), user=request.user, roles=WRITERS)
        service, created = service_services.service_deploy(
            project=project,
            package=package,
            name=request.data.get("name"),
            fields=service_fields(request.data, identity=("name", "packageId")),
            secret_ids=secret_ids(request.data, project_id=project.pk),
            user=request.user,
        )
        return Response(service_json(service), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ServiceView(ManagementView):
    @extend_schema(responses={200: s.ServiceSerializer})
    def get(self, request, service_id):
        return Response(service_json(get_for_user(Service, service_id, user=request.user, roles=MEMBERS)))

    @extend_schema(request=s.ServiceUpdateSerializer, responses={200: s.ServiceSerializer})
    def patch(self, request, service_id):
        service = get_for_user(Service, service_id, user=request.user, roles=WRITERS)
        # What identifies the service may be sent back as it is; only a change is refused.
        fixed = {
            "id": service.id,
            "name": service.name,
            "projectId": service.project_id,
            "packageId": service.package_id,
        }
        data = {k: v for k, v in request.data.items() if not (k in fixed and v == fixed[k])}
        service = service_services.service_update(
            service=service,
            fields=service_fields(data),
            secret_ids=secret_ids(request.data, project_id=service.project_id),
        )
        return Response(service_json(service))

    @extend_schema(responses={204: None})
    def delete(self, request, service_id):
        service_services.service_delete(service=get_for_user(Service, service_id, user=request.user, roles=WRITERS))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ServicePauseView(ManagementView):
    perform = staticmethod(service_services.service_pause)

    @extend_schema(request=None, responses={200: s.ServiceSerializer})
    def post(self, request, service_id):
        service = get_for_user(Service, service_id, user=request.user, roles=WRITERS)
        return Response(service_json(self.perform(service=service)))


class ServiceResumeView(ServicePauseView):
    perform = staticmethod(service_services.service_resume)


class ServiceRestartView(ServicePauseView):
    perform = staticmethod(service_services.service_restart)


class ServiceActivateSlotsView(ManagementView):
    @extend_schema(request=s.ActivateSlotsSerializer, responses={200: s.SlotActivationSerializer})
    def post(self, request, service_id):
        service = get_for_user(Service, service_id, user=request.user, roles=WRITERS)
        project_id = id_field_from(request.data, "projectId", required=False) or service.project_id
        project = project_get_for_user(user=request.user, project_id=project_id, roles=WRITERS)
        activation = service_services.slots_activate(service=service, project=project, slots=request.data.get("slots"))
        return Response({"projectId": project.id, "serviceId": service.id, "slots": activation.slots})
