"""A project's datasets."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from workspace.api import serializers as s
from workspace.api.serializers import validated
from workspace.selectors import projects as selectors
from workspace.selectors.projects import WRITERS
from workspace.services import projects as services


class DatasetListView(APIView):
    @extend_schema(responses=s.DatasetSerializer(many=True))
    def get(self, request, project_id):
        project = selectors.project_get_for_user(user=request.user, project_id=project_id)
        return Response(s.DatasetSerializer(selectors.datasets_for_project(project=project), many=True).data)

    @extend_schema(request=s.DatasetInputSerializer, responses={201: s.DatasetSerializer})
    def post(self, request, project_id):
        project = selectors.project_get_for_user(user=request.user, project_id=project_id, roles=WRITERS)
        data = validated(s.DatasetInputSerializer, request.data)
        dataset = services.dataset_create(project=project, **data)
        return Response(s.DatasetSerializer(dataset).data, status=status.HTTP_201_CREATED)


class DatasetDetailView(APIView):
    @extend_schema(responses=s.DatasetSerializer)
    def get(self, request, dataset_id):
        dataset = selectors.dataset_get_for_user(user=request.user, dataset_id=dataset_id)
        return Response(s.DatasetSerializer(dataset).data)

    @extend_schema(request=s.DatasetInputSerializer(partial=True), responses=s.DatasetSerializer)
    def patch(self, request, dataset_id):
        dataset = selectors.dataset_get_for_user(user=request.user, dataset_id=dataset_id, roles=WRITERS)
        data = validated(s.DatasetInputSerializer, request.data, partial=True)
        dataset = services.dataset_update(dataset=dataset, **data)
        return Response(s.DatasetSerializer(dataset).data)

    @extend_schema(responses={204: None})
    def delete(self, request, dataset_id):
        dataset = selectors.dataset_get_for_user(user=request.user, dataset_id=dataset_id, roles=WRITERS)
        services.dataset_delete(dataset=dataset)
        return Response(status=status.HTTP_204_NO_CONTENT)
