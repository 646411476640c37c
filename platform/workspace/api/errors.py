"""One error shape for the whole API: DRF's ``{field: [messages]}`` with a ``detail``.

Model-layer ``ValidationError`` and DQL errors (``QueryError``, reported on ``filter``)
become 400s here, so services and selectors can raise them and views stay thin.

Every 404 says the same thing (``NOT_FOUND``), whatever raised it: an object of a project
the caller is not in and an id that exists nowhere must be answered byte for byte alike,
and one body for all is the only rule no view can get wrong.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponseNotFound
from django.views.defaults import page_not_found
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.views import exception_handler as drf_exception_handler

from dataslot_server.parsers import api_error_for
from workspace.dql import QueryError

NOT_FOUND = {"detail": "Not found."}


def exception_handler(exc, context):
    exc = api_error_for(exc) or exc
    if isinstance(exc, QueryError):
        # Lists take DQL in ``?filter=``; a service that names another field raises ValidationError.
        exc = exceptions.ValidationError({"filter": [str(exc)]})
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            exc = exceptions.ValidationError(exc.message_dict)
        else:
            exc = exceptions.ValidationError({"detail": exc.messages})
    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code == status.HTTP_404_NOT_FOUND:
        response.data = dict(NOT_FOUND)
        return response
    if response is not None and isinstance(response.data, dict) and "detail" not in response.data:
        # A readable one-line summary beside the field messages, for the SDK's exceptions.
        first_field, messages = next(iter(response.data.items()), (None, None))
        if first_field is not None:
            text = messages[0] if isinstance(messages, list) and messages else messages
            response.data["detail"] = f"{first_field}: {text}"
    return response


def not_found(request, exception=None):
    """The site's 404 (``handler404``). A URL under /api/ that matches no route (an unknown
    path, an id that cannot exist) answers the API's own JSON 404, not the HTML page."""
    if request.path.startswith("/api/"):
        body = JSONRenderer().render(NOT_FOUND)
        return HttpResponseNotFound(body, content_type="application/json")
    return page_not_found(request, exception)
