"""Reading what clients send: JSON bodies, JSON in form fields, forms and multipart uploads.

Every API view parses with these (``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]``), and
JSON text that arrives inside a form field goes through ``load_json`` too, so the rules
are the same everywhere:

- a JSON body, or the form fields of a request, larger than ``DATASLOT_MAX_JSON_BYTES``
  is refused with a 413 (the server itself refuses any body past
  ``DATASLOT_MAX_UPLOAD_BYTES``, see ``dataslot_server.serve``);
- JSON nested deeper than ``MAX_JSON_DEPTH`` is refused, measured before parsing so no
  input can exhaust the parser's stack;
- numbers JSON cannot carry (``NaN``, ``Infinity``, ``1e400`` which reads as infinity)
  and text no database can store (``\\u0000``, unpaired surrogates) are refused;
- an uploaded file's name must be a plain name: no path separator, no ``.``/``..``, no
  NUL or control character. Django would quietly rename it; we refuse it.

Each refusal is a 4xx with a JSON message, before anything is stored.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from typing import Any

import numpy
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import QueryDict
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from rest_framework import exceptions, parsers

from dataslot.runtime.protocol import loads_finite

MAX_JSON_DEPTH = 64

# The depth is counted on the bracket skeleton, in C-speed passes (no recursion, no
# per-character Python): escaped backslashes and quotes go first, then everything but
# brackets and quotes; what lies between quotes is string content; the running sum of
# +1 per opening and -1 per closing bracket peaks at the depth.
_ALL_BUT_BRACKETS_AND_QUOTES = bytes(c for c in range(256) if c not in b'[]{}"')
_BRACKET_STEP = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
# A \u0000 escape in json.dumps output: preceded by an even number of backslashes.
_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


class BodyTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "too_large"


class JSONRefused(ValueError):
    """JSON text that is malformed or breaks one of the rules above; the message says which."""


def json_depth(text: str | bytes) -> int:
    """How deeply arrays and objects nest in ``text``, without parsing it."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    raw = raw.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _ALL_BUT_BRACKETS_AND_QUOTES)
    outside_strings = b"".join(raw.split(b'"')[::2])
    steps = numpy.frombuffer(outside_strings.translate(_BRACKET_STEP), dtype=numpy.int8)
    return int(numpy.cumsum(steps, dtype=numpy.int64).max()) if steps.size else 0


def load_json(text: str | bytes) -> Any:
    """Parse client JSON by the rules above; raise ``JSONRefused`` with a message otherwise."""
    limit = settings.DATASLOT_MAX_JSON_BYTES
    if len(text) > limit:
        raise JSONRefused(f"larger than the limit of {limit} bytes (DATASLOT_MAX_JSON_BYTES)")
    depth = json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise JSONRefused(f"nested {depth} levels deep, more than the limit of {MAX_JSON_DEPTH}")
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JSONRefused(f"not UTF-8 text ({exc})")
    try:
        value = loads_finite(text)
    except JSONRefused:
        raise
    except RecursionError:  # malformed input the skeleton count could not read
        raise JSONRefused(f"nested more than the limit of {MAX_JSON_DEPTH} levels")
    except ValueError as exc:
        raise JSONRefused(str(exc))
    if "\\u" in text:  # NUL and surrogates can only arrive as escapes
        _refuse_unstorable_text(value)
    return value


def _refuse_unstorable_text(value: Any) -> None:
    dumped = json.dumps(value, ensure_ascii=False)
    try:
        dumped.encode("utf-8")
    except UnicodeEncodeError:
        raise JSONRefused("a string holds an unpaired surrogate (\\ud800-\\udfff), which is not text")
    if _NUL_ESCAPE.search(dumped):
        raise JSONRefused("a string holds a NUL character (\\u0000)")


def json_form_field(data, name: str, default=None):
    """A form field that carries JSON text, parsed by the same rules as a JSON body.

    A value that is not a string (the field came in a JSON body) is returned as it is.
    """
    value = data.get(name, default)
    if isinstance(value, str) and name in data:
        try:
            return load_json(value)
        except JSONRefused as exc:
            raise exceptions.ValidationError({name: [f"Not valid JSON: {exc}."]})
    return value


def _read_bounded(stream) -> bytes:
    if stream is None:
        return b""
    limit = settings.DATASLOT_MAX_JSON_BYTES
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise BodyTooLarge(f"The request body is larger than the limit of {limit} bytes (DATASLOT_MAX_JSON_BYTES).")
    return data


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with the limits above."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return load_json(_read_bounded(stream))
        except JSONRefused as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}.")


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            return QueryDict(_read_bounded(stream), encoding=encoding)
        except TooManyFieldsSent as exc:
            raise api_error_for(exc)


def filename_problem(name: str) -> str | None:
    """Why an uploaded file's name is not a plain file name, or None if it is one."""
    if "/" in name or "\\" in name:
        return "must not contain a path separator ('/' or '\\')"
    if name in (".", ".."):
        return "must not be '.' or '..'"
    if any(unicodedata.category(c) == "Cc" for c in name):
        return "must not contain NUL or control characters"
    return None


class _CheckedNamesParser(DjangoMultiPartParser):
    def sanitize_file_name(self, file_name):
        problem = filename_problem(html.unescape(file_name))
        if problem:
            raise exceptions.ParseError(f"Refused the uploaded file name {file_name!r}: it {problem}.")
        return super().sanitize_file_name(file_name)


class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser, refusing unsafe file names and oversized fields with JSON errors."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        request = parser_context["request"]
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        encoding = parsers.get_encoding(parser_context)
        try:
            data, files = _CheckedNamesParser(meta, stream, request.upload_handlers, encoding).parse()
        except MultiPartParserError as exc:
            raise exceptions.ParseError(f"Multipart form parse error - {exc}")
        except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent) as exc:
            raise api_error_for(exc)
        return parsers.DataAndFiles(data, files)


def api_error_for(exc: Exception) -> exceptions.APIException | None:
    """Django's own refusals of a request body as API errors with a message, or None.

    DRF reads ``request.body`` itself for JSON and form bodies, so Django's checks raise
    outside any parser; the API's exception handler turns them into these.
    """
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return BodyTooLarge(
            f"The request's JSON or form fields are larger than the limit of {limit} bytes (DATASLOT_MAX_JSON_BYTES)."
        )
    if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        return exceptions.ParseError(str(exc))
    return None
