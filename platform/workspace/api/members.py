"""A project's members and their roles."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from workspace.api import serializers as s
from workspace.api.serializers import validated
from workspace.selectors import projects as selectors
from workspace.selectors.projects import MEMBERS, OWNERS
from workspace.services import projects as services


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
