"""Items: upload, list, edit, download, thumbnail."""

from __future__ import annotations

import mimetypes

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from dataslot_server.parsers import FormParser, MultiPartParser, json_form_field
from workspace import dql
from workspace.api import serializers as s
from workspace.api.item_pages import ItemPagination, items_page_response
from workspace.api.pagination import (
    FILTER_PARAMETER,
    JUMP_PARAMETERS,
    MAX_PAGE_NUMBER,
    bool_param,
    filter_from_request,
    positive_int_param,
)
from workspace.api.serializers import validated
from workspace.selectors import items as item_selectors
from workspace.selectors.projects import WRITERS, dataset_get_for_user
from workspace.services import items as item_services


class DatasetItemsView(APIView):
    pagination_class = ItemPagination
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        parameters=[FILTER_PARAMETER, *JUMP_PARAMETERS],
        responses=s.ItemSerializer(many=True),
        summary="A page of a dataset's items (optionally a jump to page N, and the number that match)",
    )
    def get(self, request, dataset_id):
        dataset = dataset_get_for_user(user=request.user, dataset_id=dataset_id)
        query = filter_from_request(request)
        size = ItemPagination().get_page_size(request)
        page = positive_int_param(request, "page", maximum=MAX_PAGE_NUMBER)
        after_id = positive_int_param(request, "after_id", maximum=2**63 - 1)
        if page is not None and after_id is not None:
            raise exceptions.ValidationError({"page": ["Give 'page' or 'after_id', not both."]})
        extra = {}
        try:
            if bool_param(request, "count"):
                count, exact = item_selectors.items_count(dataset=dataset, filter=query)
                extra = {"count": count, "countExact": exact}
            anchor = after_id
            if page is not None:
                try:
                    anchor = item_selectors.items_page_anchor(dataset=dataset, filter=query, skip=(page - 1) * size)
                except item_selectors.JumpTooFar as exc:
                    raise exceptions.ValidationError({"page": [str(exc)]})
        except dql.QueryError as exc:
            raise exceptions.ValidationError({"filter": [str(exc)]})
        items = item_selectors.items_list(dataset=dataset, filter=query)
        return items_page_response(self, items, project_id=dataset.project_id, anchor=anchor, extra=extra)

    @extend_schema(
        request={"multipart/form-data": s.ItemUploadSerializer},
        responses={201: s.ItemUploadResultSerializer},
        summary="Upload images: all of them, or none if one is refused",
    )
    def post(self, request, dataset_id):
        dataset = dataset_get_for_user(user=request.user, dataset_id=dataset_id, roles=WRITERS)
        files = request.FILES.getlist("file")
        if not files:
            raise exceptions.ValidationError({"file": ["Send one or more files in the 'file' field."]})
        metadata = _json_object_field(request.data, "metadata")
        name = request.data.get("name")
        dir = request.data.get("dir") or "/"
        if name not in (None, ""):
            if request.data.get("key"):
                raise exceptions.ValidationError({"key": ["'key' is for uploads without 'name'."]})
            if len(files) != 1:
                raise exceptions.ValidationError({"name": ["'name' can only be given with a single file."]})
            items = [
                item_services.item_create(
                    dataset=dataset, file=files[0], name=name, dir=dir, metadata=metadata, user=request.user
                )
            ]
        else:
            key = request.data.get("key")
            items = item_services.items_upload(
                dataset=dataset, files=files, dir=dir, metadata=metadata, user=request.user, key=key or None
            )
        context = {"request": request, "project_id": dataset.project_id}
        return Response(
            {"results": s.ItemSerializer(items, many=True, context=context).data}, status=status.HTTP_201_CREATED
        )


def _json_object_field(data, field: str) -> dict | None:
    if data.get(field) in (None, ""):
        return None
    value = json_form_field(data, field)
    if not isinstance(value, dict):
        raise exceptions.ValidationError({field: ["Must be a JSON object."]})
    return value


class ItemDetailView(APIView):
    @extend_schema(responses=s.ItemSerializer)
    def get(self, request, item_id):
        item = item_selectors.item_get_for_user(user=request.user, item_id=item_id)
        return Response(s.ItemSerializer(item, context={"request": request}).data)

    @extend_schema(request=s.ItemUpdateSerializer, responses=s.ItemSerializer)
    def patch(self, request, item_id):
        item = item_selectors.item_get_for_user(user=request.user, item_id=item_id, roles=WRITERS)
        data = validated(s.ItemUpdateSerializer, request.data, partial=True)
        item = item_services.item_update(item=item, **data)
        return Response(s.ItemSerializer(item, context={"request": request}).data)

    @extend_schema(responses={204: None})
    def delete(self, request, item_id):
        item = item_selectors.item_get_for_user(user=request.user, item_id=item_id, roles=WRITERS)
        item_services.item_delete(item=item)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FirstRendererNegotiation(BaseContentNegotiation):
    """File answers are bytes whatever the client accepts; errors still render as JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _file_response(field, content_type: str, filename: str) -> FileResponse:
    try:
        handle = field.open("rb")
    except (FileNotFoundError, ValueError):
        raise exceptions.NotFound("The item's file is missing from storage.")
    response = FileResponse(handle, content_type=content_type, filename=filename)
    response["Cache-Control"] = "private, max-age=3600"
    return response


class ItemDownloadView(APIView):
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(responses={(200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The original bytes")})
    def get(self, request, item_id):
        item = item_selectors.item_get_for_user(user=request.user, item_id=item_id)
        content_type = item.mimetype or mimetypes.guess_type(item.name)[0] or "application/octet-stream"
        return _file_response(item.file, content_type, item.name)


class ItemThumbnailView(APIView):
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        responses={
            (200, "image/jpeg"): OpenApiResponse(OpenApiTypes.BINARY, description="JPEG, or PNG for alpha"),
            (200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY),
        }
    )
    def get(self, request, item_id):
        item = item_selectors.item_get_for_user(user=request.user, item_id=item_id)
        name = item.thumbnail.name or ""
        content_type = "image/png" if name.endswith(".png") else "image/jpeg"
        return _file_response(item.thumbnail, content_type, "thumbnail" + (".png" if name.endswith(".png") else ".jpg"))
