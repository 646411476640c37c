"""Projects: list, create, read, rename, delete."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from workspace.api import serializers as s
from workspace.api.serializers import validated
from workspace.selectors import projects as selectors
from workspace.selectors.projects import OWNERS
from workspace.services import projects as services


class ProjectListView(APIView):
    @extend_schema(responses=s.ProjectSerializer(many=True), summary="The caller's projects")
    def get(self, request):
        projects = selectors.projects_for_user(user=request.user)
        return Response(s.ProjectSerializer(projects, many=True).data)

    @extend_schema(request=s.ProjectInputSerializer, responses={201: s.ProjectSerializer}, summary="Create a project")
    def post(self, request):
        data = validated(s.ProjectInputSerializer, request.data)
        project = services.project_create(owner=request.user, **data)
        return Response(s.ProjectSerializer(project).data, status=status.HTTP_201_CREATED)


class ProjectDetailView(APIView):
    @extend_schema(responses=s.ProjectSerializer)
    def get(self, request, project_id):
        project = selectors.project_get_for_user(user=request.user, project_id=project_id)
        return Response(s.ProjectSerializer(project).data)

    @extend_schema(request=s.ProjectInputSerializer(partial=True), responses=s.ProjectSerializer)
    def patch(self, request, project_id):
        project = selectors.project_get_for_user(user=request.user, project_id=project_id, roles=OWNERS)
        data = validated(s.ProjectInputSerializer, request.data, partial=True)
        project = services.project_update(project=project, **data)
        return Response(s.ProjectSerializer(project).data)

    @extend_schema(responses={204: None})
    def delete(self, request, project_id):
        project = selectors.project_get_for_user(user=request.user, project_id=project_id, roles=OWNERS)
        services.project_delete(project=project)
        return Response(status=status.HTTP_204_NO_CONTENT)
