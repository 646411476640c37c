"""Projects, members and datasets."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from workspace.api import serializers as s
from workspace.api.serializers import validated
from workspace.selectors import projects as selectors
from workspace.selectors.projects import MEMBERS, OWNERS, WRITERS
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


class MemberListView(APIView):
    @extend_schema(responses=s.MemberSerializer(many=True), summary="Members of a project")
    def get(self, request, project_id):
        project = selectors.project_get_for_user(user=request.user, project_id=project_id, roles=MEMBERS)
        return Response(s.MemberSerializer(selectors.members_of(project=project), many=True).data)

    @extend_schema(
        request=s.MemberInputSerializer, responses={201: s.MemberSerializer}, summary="Add a member or change a role"
    )
    def post(self, request, project_id):
        project = selectors.project_get_for_user(user=request.user, project_id=project_id, roles=OWNERS)
        data = validated(s.MemberInputSerializer, request.data)
        membership = services.membership_set_by_username(project=project, **data)
        return Response(s.MemberSerializer(membership).data, status=status.HTTP_201_CREATED)


class MemberDetailView(APIView):
    @extend_schema(responses={204: None}, summary="Remove a member (owner only)")
    def delete(self, request, project_id, user_id):
        project = selectors.project_get_for_user(user=request.user, project_id=project_id, roles=OWNERS)
        services.membership_delete(project=project, user_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


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
