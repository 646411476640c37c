"""Domain errors with their HTTP meaning."""

from rest_framework.exceptions import APIException


class Conflict(APIException):
    """The request clashes with the current state (HTTP 409), e.g. running a paused service.

    An APIException so the API answers 409 with the message, without a mapping table.
    """

    status_code = 409
    default_detail = "Conflict with the current state."
    default_code = "conflict"


class Unavailable(APIException):
    """The request could not be carried out now, and nothing of it was kept (HTTP 503)."""

    status_code = 503
    default_detail = "Service unavailable: try again."
    default_code = "unavailable"
