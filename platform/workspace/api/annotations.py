"""Annotations: an item's, a project's, and one by one."""

from __future__ import annotations

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from dataslot_server.parsers import JSONParser
from workspace.api import serializers as s
from workspace.api.pagination import FILTER_PARAMETER, JumpPagination, filter_from_request, paginate
from workspace.api.serializers import validated
from workspace.selectors import annotations as annotation_selectors
from workspace.selectors import items as item_selectors
from workspace.selectors.projects import project_get_for_user
from workspace.services import annotations as annotation_services


class ItemAnnotationsView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        parameters=[FILTER_PARAMETER],
        responses=s.AnnotationSerializer(many=True),
        summary="The annotations of an item (those matching the DQL filter)",
    )
    def get(self, request, item_id):
        item = item_selectors.item_get_for_user(user=request.user, item_id=item_id)
        annotations = annotation_selectors.annotations_for_item(item=item, filter=filter_from_request(request))
        return Response(s.AnnotationSerializer(annotations, many=True).data)

    @extend_schema(
        request=PolymorphicProxySerializer(
            "AnnotationInputOrList",
            [s.AnnotationInputSerializer, s.AnnotationInputSerializer(many=True)],
            resource_type_field_name=None,
            many=False,
        ),
        responses={
            201: PolymorphicProxySerializer(
                "AnnotationOrList",
                [s.AnnotationSerializer, s.AnnotationSerializer(many=True)],
                resource_type_field_name=None,
                many=False,
            )
        },
        summary="Create an annotation (or, with a JSON list, several: all or none, answered as a list)",
    )
    def post(self, request, item_id):
        item = item_selectors.item_get_for_user(user=request.user, item_id=item_id)
        if isinstance(request.data, list):
            serializer = s.AnnotationInputSerializer(data=request.data, many=True)
            serializer.is_valid(raise_exception=True)
            created = annotation_services.annotations_create(
                item=item, annotations=[dict(d) for d in serializer.validated_data], user=request.user
            )
            return Response(s.AnnotationSerializer(created, many=True).data, status=status.HTTP_201_CREATED)
        data = validated(s.AnnotationInputSerializer, request.data)
        annotation = annotation_services.annotation_create(item=item, user=request.user, **data)
        return Response(s.AnnotationSerializer(annotation).data, status=status.HTTP_201_CREATED)


class ProjectAnnotationsView(APIView):
    pagination_class = JumpPagination

    @extend_schema(parameters=[FILTER_PARAMETER], responses=s.AnnotationSerializer(many=True))
    def get(self, request, project_id):
        project = project_get_for_user(user=request.user, project_id=project_id)
        annotations = annotation_selectors.annotations_for_project(project=project, filter=filter_from_request(request))
        return paginate(self, annotations, s.AnnotationSerializer)


class AnnotationDetailView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(responses=s.AnnotationSerializer)
    def get(self, request, annotation_id):
        annotation = annotation_selectors.annotation_get_for_user(user=request.user, annotation_id=annotation_id)
        return Response(s.AnnotationSerializer(annotation).data)

    @extend_schema(request=s.AnnotationUpdateSerializer, responses=s.AnnotationSerializer)
    def patch(self, request, annotation_id):
        annotation = annotation_selectors.annotation_get_for_user(user=request.user, annotation_id=annotation_id)
        data = validated(s.AnnotationUpdateSerializer, request.data, partial=True)
        annotation = annotation_services.annotation_update(annotation=annotation, **data)
        return Response(s.AnnotationSerializer(annotation).data)

    @extend_schema(responses={204: None})
    def delete(self, request, annotation_id):
        annotation = annotation_selectors.annotation_get_for_user(user=request.user, annotation_id=annotation_id)
        annotation_services.annotation_delete(annotation=annotation)
        return Response(status=status.HTTP_204_NO_CONTENT)
