"""One error shape for the whole API: DRF's ``{field: [messages]}`` with a ``detail``.

Model-layer ``ValidationError`` and DQL errors (``QueryError``, reported on ``filter``)
become 400s here, so services and selectors can raise them and views stay thin.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def _query_error_class():
    try:
        from workspace.dql import QueryError
    except ImportError:  # pragma: no cover - the DQL module is part of the workspace app
        return None
    return QueryError


def exception_handler(exc, context):
    query_error = _query_error_class()
    if query_error is not None and isinstance(exc, query_error):
        # Lists take DQL in ``?filter=``; a service that names another field raises ValidationError.
        where = getattr(exc, "path", None)
        message = getattr(exc, "message", None) or str(exc)
        exc = exceptions.ValidationError({"filter": [f"{where}: {message}" if where else message]})
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            exc = exceptions.ValidationError(exc.message_dict)
        else:
            exc = exceptions.ValidationError({"detail": exc.messages})
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" not in response.data:
        # A readable one-line summary beside the field messages, for the SDK's exceptions.
        first_field, messages = next(iter(response.data.items()), (None, None))
        if first_field is not None:
            text = messages[0] if isinstance(messages, list) and messages else messages
            response.data["detail"] = f"{first_field}: {text}"
    return response
