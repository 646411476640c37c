"""Triggers over HTTP: under a service (``/services/<id>/triggers/``), a project, or by id.

Bodies take dtlpy's JSON (``{name, type, active, spec: {resource, actions, filter,
executionMode, cron, startAt, endAt, inputs, operation: {functionName}}}``) or the same
fields flat; answers are dtlpy's shape (faas/selectors/triggers.py).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from faas.api.common import ManagementView, get_for_user
from faas.models import Service, Trigger
from faas.selectors.triggers import trigger_json, triggers_of
from faas.services import triggers as trigger_services
from workspace.ids import id_field_from
from workspace.selectors.projects import MEMBERS, WRITERS, project_get_for_user


class TriggerOperationSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="Always function.")
    serviceId = serializers.IntegerField()
    functionName = serializers.CharField()


class TriggerSpecSerializer(serializers.Serializer):
    resource = serializers.CharField(required=False, help_text="Event: Item, Annotation, Task, Dataset, ItemStatus.")
    actions = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Event: Created, Updated, Deleted, statusChanged."
    )
    filter = serializers.JSONField(required=False, help_text="Event: a DQL query on the resource.")
    executionMode = serializers.CharField(required=False, help_text="Event: Once (once per entity) or Always.")
    cron = serializers.CharField(required=False, help_text="Cron: five fields (or six, with seconds), UTC.")
    startAt = serializers.DateTimeField(required=False, allow_null=True)
    endAt = serializers.DateTimeField(required=False, allow_null=True)
    inputs = serializers.JSONField(required=False, help_text="Cron: the function's input.")
    operation = TriggerOperationSerializer()


class TriggerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    type = serializers.CharField(help_text="Event or Cron.")
    active = serializers.BooleanField()
    projectId = serializers.IntegerField()
    serviceId = serializers.IntegerField()
    functionName = serializers.CharField()
    spec = TriggerSpecSerializer()
    lastFiredAt = serializers.DateTimeField(allow_null=True, help_text="Cron: the last fire time that ran.")
    creator = serializers.CharField(allow_null=True)
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()


class TriggerWriteSerializer(serializers.Serializer):
    name = serializers.CharField(required=False)
    type = serializers.CharField(required=False, help_text="Event (default) or Cron.")
    active = serializers.BooleanField(required=False)
    serviceId = serializers.IntegerField(required=False, help_text="Under a project: the service to run.")
    spec = TriggerSpecSerializer(required=False, help_text="Or the same fields at the top level.")


READ_ONLY = {"id", "creator", "createdAt", "updatedAt", "lastFiredAt", "url"}


def _spec(data) -> dict:
    """The request's fields in the API's words, from dtlpy's nested shape or a flat one."""
    if not isinstance(data, dict):
        raise ValidationError({"detail": ["The request body must be a JSON object."]})
    nested = data.get("spec")
    if nested is not None and not isinstance(nested, dict):
        raise ValidationError({"spec": ["Must be an object."]})
    fields = {k: v for k, v in data.items() if k not in ("spec", "serviceId", "projectId")}
    for key, value in (nested or {}).items():
        if key == "operation":
            if not isinstance(value, dict):
                raise ValidationError({"spec.operation": ["Must be an object."]})
            if "functionName" in value:
                fields["functionName"] = value["functionName"]
        elif key == "filter":
            fields["filters"] = value
        else:
            fields[key] = value
    if "filter" in fields:
        fields["filters"] = fields.pop("filter")
    return fields


def _service_id(data) -> object:
    operation = (data.get("spec") or {}).get("operation") if isinstance(data.get("spec"), dict) else None
    if isinstance(operation, dict) and "serviceId" in operation and "serviceId" not in data:
        return id_field_from(operation, "serviceId")
    return id_field_from(data, "serviceId")


class ServiceTriggersView(ManagementView):
    @extend_schema(responses={200: TriggerSerializer(many=True)})
    def get(self, request, service_id):
        service = get_for_user(Service, service_id, user=request.user, roles=MEMBERS)
        return Response([trigger_json(t) for t in triggers_of(service=service)])

    @extend_schema(request=TriggerWriteSerializer, responses={201: TriggerSerializer})
    def post(self, request, service_id):
        service = get_for_user(Service, service_id, user=request.user, roles=WRITERS, related=("project", "package"))
        trigger = trigger_services.trigger_create(service=service, spec=_spec(request.data), user=request.user)
        return Response(trigger_json(trigger), status=status.HTTP_201_CREATED)


class ProjectTriggersView(ManagementView):
    @extend_schema(responses={200: TriggerSerializer(many=True)})
    def get(self, request, project_id):
        project = project_get_for_user(user=request.user, project_id=project_id, roles=MEMBERS)
        return Response([trigger_json(t) for t in triggers_of(project=project)])

    @extend_schema(request=TriggerWriteSerializer, responses={201: TriggerSerializer})
    def post(self, request, project_id):
        project = project_get_for_user(user=request.user, project_id=project_id, roles=WRITERS)
        service = get_for_user(
            Service, _service_id(request.data), user=request.user, roles=WRITERS, related=("project", "package")
        )
        if service.project_id != project.id:
            raise ValidationError({"serviceId": ["The service belongs to another project."]})
        trigger = trigger_services.trigger_create(service=service, spec=_spec(request.data), user=request.user)
        return Response(trigger_json(trigger), status=status.HTTP_201_CREATED)


class TriggerView(ManagementView):
    def _get(self, request, trigger_id, roles):
        return get_for_user(
            Trigger, trigger_id, user=request.user, roles=roles, related=("project", "service__package", "created_by")
        )

    @extend_schema(responses={200: TriggerSerializer})
    def get(self, request, trigger_id):
        return Response(trigger_json(self._get(request, trigger_id, MEMBERS)))

    @extend_schema(request=TriggerWriteSerializer, responses={200: TriggerSerializer})
    def patch(self, request, trigger_id):
        trigger = self._get(request, trigger_id, WRITERS)
        # The SDK's update() sends the whole trigger back: what cannot change is left out
        # when it is unchanged, and refused by name when it is not.
        changes = {k: v for k, v in _spec(request.data).items() if k not in READ_ONLY}
        if changes.get("type") == trigger.type:
            del changes["type"]
        trigger = trigger_services.trigger_update(trigger=trigger, changes=changes)
        return Response(trigger_json(trigger))

    @extend_schema(responses={204: None})
    def delete(self, request, trigger_id):
        trigger_services.trigger_delete(trigger=self._get(request, trigger_id, WRITERS))
        return Response(status=status.HTTP_204_NO_CONTENT)
