"""Integrations (a project's secrets) over HTTP."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from faas.api import schema as s
from faas.api.common import ManagementView, get_for_user
from faas.models import Integration
from faas.representations import integration_json
from faas.services import integrations as integration_services
from workspace.selectors.projects import WRITERS, project_get_for_user


class ProjectIntegrationsView(ManagementView):
    @extend_schema(responses={200: s.IntegrationSerializer(many=True)})
    def get(self, request, project_id):
        project = project_get_for_user(user=request.user, project_id=project_id, roles=WRITERS)
        return Response([integration_json(i) for i in Integration.objects.filter(project=project).order_by("id")])

    @extend_schema(request=s.IntegrationWriteSerializer, responses={201: s.IntegrationSerializer})
    def post(self, request, project_id):
        project = project_get_for_user(user=request.user, project_id=project_id, roles=WRITERS)
        integration = integration_services.integration_create(
            project=project, name=request.data.get("name") or "", value=request.data.get("value"), user=request.user
        )
        return Response(integration_json(integration), status=status.HTTP_201_CREATED)


class IntegrationView(ManagementView):
    @extend_schema(responses={200: s.IntegrationSerializer})
    def get(self, request, integration_id):
        return Response(integration_json(get_for_user(Integration, integration_id, user=request.user, roles=WRITERS)))

    @extend_schema(request=s.IntegrationWriteSerializer, responses={200: s.IntegrationSerializer})
    def patch(self, request, integration_id):
        integration = get_for_user(Integration, integration_id, user=request.user, roles=WRITERS)
        return Response(
            integration_json(
                integration_services.integration_set_value(integration=integration, value=request.data.get("value"))
            )
        )

    @extend_schema(responses={204: None})
    def delete(self, request, integration_id):
        integration_services.integration_delete(
            integration=get_for_user(Integration, integration_id, user=request.user, roles=WRITERS)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
