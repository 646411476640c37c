"""Fetching functions' objects for a user: 404 for other projects, 403 for a weak role."""

from __future__ import annotations

import json

from django.http import Http404
from rest_framework import exceptions
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.views import APIView

from workspace.api.pagination import KeysetPagination
from workspace.selectors.projects import check_role


def get_for_user(model, pk, *, user, roles=None, related=("project",)):
    try:
        obj = model.objects.select_related(*related).get(pk=int(pk))
    except (model.DoesNotExist, TypeError, ValueError):
        raise Http404(f"No such {model._meta.verbose_name}.")
    check_role(user=user, project_id=obj.project_id, roles=roles)
    return obj


def json_field(data, name: str, default=None):
    """A JSON value that may arrive as text in a multipart form."""
    value = data.get(name, default)
    if isinstance(value, str) and name in data and hasattr(data, "getlist"):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise exceptions.ValidationError({name: [f"Not valid JSON: {exc}."]})
    return value


class NewestFirstPagination(KeysetPagination):
    ordering = "-id"


class ObjectJSONParser(JSONParser):
    """JSON bodies of the functions API are objects; anything else is a 400, not a 500 later."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if not isinstance(data, dict):
            raise exceptions.ParseError("The request body must be a JSON object.")
        return data


class FunctionsView(APIView):
    parser_classes = [ObjectJSONParser, MultiPartParser, FormParser]
