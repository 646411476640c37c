"""Fetching functions' objects for a user: 404 for other projects, 403 for a weak role."""

from __future__ import annotations

from django.http import Http404
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.views import APIView

from dataslot_server.parsers import FormParser, JSONParser, MultiPartParser, json_form_field
from workspace.api.pagination import KeysetPagination
from workspace.selectors.projects import check_role, is_function_bot


def get_for_user(model, pk, *, user, roles=None, related=("project",)):
    try:
        obj = model.objects.select_related(*related).get(pk=int(pk))
    except (model.DoesNotExist, TypeError, ValueError):
        raise Http404(f"No such {model._meta.verbose_name}.")
    check_role(user=user, project_id=obj.project_id, roles=roles)
    return obj


def json_field(data, name: str, default=None):
    """A JSON value that may arrive as text in a multipart form."""
    if hasattr(data, "getlist"):  # a form: its fields are text
        return json_form_field(data, name, default)
    return data.get(name, default)


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


class ChangedByPeopleOnly(BasePermission):
    """Packages, services, secrets and triggers change at people's requests only. A
    function's token (its service's bot, a developer of the project) could otherwise deploy
    code of its own with another service's secrets attached, and read them."""

    message = "A function's token cannot change packages, services, secrets or triggers."

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or not is_function_bot(request.user)


# Views of packages, services, integrations (secrets) and triggers. (A comment, not a
# docstring: the schema would show it as every operation's description.)
class ManagementView(FunctionsView):
    permission_classes = [IsAuthenticated, ChangedByPeopleOnly]
