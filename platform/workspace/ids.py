"""What an id is, in a URL and in a body: a whole number from 1 to 2**63 - 1.

Every table's key is a signed 64-bit integer on SQLite and PostgreSQL; a number past that
cannot name anything, and handed to a query it is an overflow (a 500), not a miss. So a
path id out of range does not match its URL (404), and a body id out of range, zero,
negative, fractional or boolean is a 400 on its field; neither reaches a query.
"""

from __future__ import annotations

from django.urls import register_converter
from rest_framework import serializers

MAX_ID = 2**63 - 1
MAX_DIGITS = len(str(MAX_ID))


def is_id(value) -> bool:
    """A JSON integer (not a boolean) that can be a key."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def parse_id(value) -> int | None:
    """An id from JSON or from text (a query parameter, a form field); None if it is not one."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= MAX_DIGITS:
        value = int(value)
    return value if is_id(value) else None


class IdConverter:
    """``<id:name>`` in URL patterns: an id that cannot exist does not match (a 404)."""

    regex = f"[0-9]{{1,{MAX_DIGITS}}}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValueError(value)  # Django reads this as "no match"
        return number

    def to_url(self, value) -> str:
        return str(int(value))


register_converter(IdConverter, "id")


class IdField(serializers.IntegerField):
    """An id in a request body: a JSON integer (or its digits as text, from a form)."""

    default_error_messages = {"invalid": f"Must be an id: a whole number from 1 to {MAX_ID}."}

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)  # for the schema

    def to_internal_value(self, data) -> int:
        value = parse_id(data)
        if value is None:
            self.fail("invalid")
        return value


def id_field_from(data, name: str, *, required: bool = True) -> int | None:
    """The id in ``data[name]``, or a 400 naming ``name`` (views that read bodies by hand)."""
    if data.get(name) in (None, ""):
        if required:
            raise serializers.ValidationError({name: ["This field is required."]})
        return None
    value = parse_id(data.get(name))
    if value is None:
        raise serializers.ValidationError({name: [IdField.default_error_messages["invalid"]]})
    return value
