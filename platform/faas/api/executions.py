"""Executions over HTTP: run one or a batch, list, stop, rerun, read the logs."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from faas.api import schema as s
from faas.api.common import FunctionsView, NewestFirstPagination, get_for_user
from faas.models import Execution, ExecutionLog, Service
from faas.representations import execution_json, log_line_json
from faas.services import executions as lifecycle
from faas.services.slots import batch_run
from workspace.ids import id_field_from, parse_id
from workspace.selectors.projects import MEMBERS, WRITERS, check_role, project_get_for_user


def _executions(queryset):
    return queryset.select_related("service", "creator", "worker")


class ServiceExecuteView(FunctionsView):
    @extend_schema(
        request=s.ExecuteSerializer, responses={201: s.ExecutionSerializer, 409: s.CONFLICT, 503: s.UNAVAILABLE}
    )
    def post(self, request, service_id):
        service = get_for_user(Service, service_id, user=request.user, roles=WRITERS, related=("project", "package"))
        execution = lifecycle.execution_create(
            service=service,
            function_name=request.data.get("functionName"),
            input=request.data.get("input"),
            user=request.user,
        )
        return Response(execution_json(execution), status=status.HTTP_201_CREATED)


def _batch_filter(data) -> dict:
    # Every entity of the project is a big thing to do by accident: ask for it explicitly.
    if "filter" not in data:
        raise serializers.ValidationError({"filter": ["Required: a DQL query, or {} for every entity of the project."]})
    return data["filter"] or {}


class ServiceExecuteBatchView(FunctionsView):
    @extend_schema(request=s.ExecuteBatchSerializer, responses={201: s.BatchSerializer, 409: s.CONFLICT})
    def post(self, request, service_id):
        service = get_for_user(Service, service_id, user=request.user, roles=WRITERS, related=("project", "package"))
        executions = batch_run(
            service=service,
            function_name=request.data.get("functionName"),
            query=_batch_filter(request.data),
            resource=request.data.get("resource"),
            user=request.user,
            args=request.data.get("args"),
        )
        return Response({"count": len(executions), "ids": [e.id for e in executions]}, status=status.HTTP_201_CREATED)


class ProjectExecutionsView(FunctionsView):
    pagination_class = NewestFirstPagination

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR),
            OpenApiParameter("serviceId", OpenApiTypes.INT),
            OpenApiParameter("functionName", OpenApiTypes.STR),
            OpenApiParameter("triggerId", OpenApiTypes.INT),
            OpenApiParameter("cursor", OpenApiTypes.STR),
            OpenApiParameter("page_size", OpenApiTypes.INT),
        ],
        responses={200: s.ExecutionSerializer(many=True)},
    )
    def get(self, request, project_id):
        project = project_get_for_user(user=request.user, project_id=project_id, roles=MEMBERS)
        queryset = _executions(Execution.objects.filter(project=project))
        params = request.query_params
        if params.get("status"):
            queryset = queryset.filter(status=params["status"])
        service_id = id_field_from(params, "serviceId", required=False)
        if service_id is not None:
            queryset = queryset.filter(service_id=service_id)
        if params.get("functionName"):
            queryset = queryset.filter(function_name=params["functionName"])
        trigger_id = id_field_from(params, "triggerId", required=False)
        if trigger_id is not None:
            queryset = queryset.filter(trigger_id=trigger_id)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response([execution_json(e) for e in page])


class ExecutionView(FunctionsView):
    @extend_schema(responses={200: s.ExecutionSerializer})
    def get(self, request, execution_id):
        execution = get_for_user(
            Execution, execution_id, user=request.user, roles=MEMBERS, related=("service", "creator", "worker")
        )
        return Response(execution_json(execution))


class ExecutionTerminateView(FunctionsView):
    perform = staticmethod(lifecycle.execution_terminate)

    @extend_schema(request=None, responses={200: s.ExecutionSerializer, 409: s.CONFLICT})
    def post(self, request, execution_id):
        execution = get_for_user(Execution, execution_id, user=request.user, roles=MEMBERS, related=("service",))
        # An annotator stops or reruns what they started; developers and owners, anything.
        if execution.creator_id != request.user.id:
            check_role(user=request.user, project_id=execution.project_id, roles=WRITERS)
        return Response(execution_json(self.perform(execution=execution, user=request.user)))


class ExecutionRerunView(ExecutionTerminateView):
    perform = staticmethod(lifecycle.execution_rerun)


class ExecutionLogsView(FunctionsView):
    @extend_schema(
        parameters=[OpenApiParameter("after", OpenApiTypes.INT)],
        responses={200: s.ExecutionLogsSerializer},
    )
    def get(self, request, execution_id):
        execution = get_for_user(Execution, execution_id, user=request.user, roles=MEMBERS, related=())
        after = parse_id(request.query_params.get("after")) or 0
        lines = ExecutionLog.objects.filter(execution=execution, id__gt=after)[:1000]
        return Response({"lines": [log_line_json(line) for line in lines], "finished": execution.finished})
