"""The error answers of the OpenAPI schema, documented once for every operation.

Every view answers its errors in one shape (workspace.api.errors), for the same reasons
everywhere: so rather than repeat them on each view, this hook (SPECTACULAR_SETTINGS
``POSTPROCESSING_HOOKS``) adds to each operation the statuses its shape can produce.
Views declare only what is theirs alone (a 409 for a state conflict, with a description:
its body is the same ``Error``).

- 400: the operation reads a body or query parameters (a field's message, or a parse error);
- 401 and 403: it needs a login (none given; a role that does not allow the action);
- 404: it names an object by id (none, or one of a project the caller is not in);
- 413 and 415: it reads a body (larger than the server takes; a content type it does not).
"""

from __future__ import annotations

ERROR = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "An error: `detail` reads as one line; a 400 also names each field that was refused, "
        'with its messages: {"detail": "name: This field is required.", "name": ["This field is required."]}.'
    ),
    "properties": {
        "detail": {
            "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
            "description": "What went wrong.",
        }
    },
    "required": ["detail"],
    "additionalProperties": True,
}
WHY = {
    "400": "The request is not valid: `detail`, and the refused fields with their messages.",
    "401": "No credentials, or credentials that are not valid.",
    "403": "The caller's role in the project does not allow this.",
    "404": "No such object, or one of a project the caller is not a member of (the same answer).",
    "413": "The request body is larger than the server accepts.",
    "415": "The body's content type is not one this operation reads.",
}
METHODS = ("get", "post", "put", "patch", "delete")


def _statuses(operation: dict) -> list[str]:
    parameters = operation.get("parameters", [])
    statuses = []
    if operation.get("requestBody") or any(p.get("in") == "query" for p in parameters):
        statuses.append("400")
    if {} not in operation.get("security", [{}]):  # a login is required
        statuses += ["401", "403"]
    if any(p.get("in") == "path" for p in parameters):
        statuses.append("404")
    if operation.get("requestBody"):
        statuses += ["413", "415"]
    return statuses


def document_errors(result, generator, request, public):
    """Add the ``Error`` schema, each operation's error statuses, and the ``Error`` body to every 4xx."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR] = ERROR_SCHEMA
    for path, item in result.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for status in _statuses(operation):
                responses.setdefault(status, {"description": WHY[status]})
            for status, response in responses.items():
                if status.startswith("4") and not response.get("content"):
                    # A view's own error (e.g. ``409: OpenApiResponse(description=...)``) has the same shape.
                    response["content"] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR}"}}}
    return result
