"""Slots over HTTP: a project's slots for a page, resolved for a selection, and run."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from faas.api import schema as s
from faas.api.common import FunctionsView
from faas.representations import execution_json
from faas.selectors.slots import slots_for_selection
from faas.services.slots import slot_run
from workspace.ids import id_field_from
from workspace.selectors.projects import MEMBERS, project_get_for_user

PAGE_PARAMETERS = [
    OpenApiParameter("resource", OpenApiTypes.STR, enum=["item", "annotation", "task"]),
    OpenApiParameter("panel", OpenApiTypes.STR, enum=["browser", "studio", "table", "all"]),
]


def _slots(request, project_id, params) -> Response:
    """The project's slots for a page (``resource``, ``panel``), each enabled or not for
    ``params``' selection (none in a query string)."""
    project = project_get_for_user(user=request.user, project_id=project_id, roles=MEMBERS)
    return Response(
        slots_for_selection(
            project=project,
            resource=params.get("resource", "item"),
            panel=params.get("panel", "all"),
            selection=params.get("selection"),
        )
    )


class ProjectSlotsView(FunctionsView):
    @extend_schema(parameters=PAGE_PARAMETERS, responses={200: s.ResolvedSlotSerializer(many=True)})
    def get(self, request, project_id):
        return _slots(request, project_id, {k: v for k, v in request.query_params.items() if k != "selection"})


class SlotResolveView(FunctionsView):
    @extend_schema(request=s.SlotResolveSerializer, responses={200: s.ResolvedSlotSerializer(many=True)})
    def post(self, request, project_id):
        return _slots(request, project_id, request.data)


class SlotRunView(FunctionsView):
    @extend_schema(request=s.SlotRunSerializer, responses={201: s.ExecutionsSerializer, 409: s.CONFLICT})
    def post(self, request, project_id):
        project = project_get_for_user(user=request.user, project_id=project_id, roles=MEMBERS)
        executions = slot_run(
            project=project,
            service_id=id_field_from(request.data, "serviceId"),
            function_name=request.data.get("functionName"),
            resource=request.data.get("resource"),
            panel=request.data.get("panel") or "all",
            selection=request.data.get("selection"),
            user=request.user,
        )
        return Response({"executions": [execution_json(e) for e in executions]}, status=status.HTTP_201_CREATED)
