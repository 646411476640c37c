"""What the admin pages of every app share: deletes and actions go through the services.

The admin is one more caller of ``workspace.services`` and ``faas.services``, like the
API: a rule a service keeps (a deployed package is not deleted, a finished execution is
not terminated) holds here too, and a refusal is a warning on the page, not a 500.
"""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.db import transaction
from django.utils.html import format_html


def fields_of(fieldsets) -> tuple[str, ...]:
    """Every field named in ``fieldsets``, in order: a read-only page lists them once."""
    return tuple(field for _, options in fieldsets for field in options["fields"])


def pretty_json(value):
    return format_html('<pre style="white-space:pre-wrap;margin:0">{}</pre>', json.dumps(value, indent=2))


def json_display(field: str):
    """A read-only admin field that shows the JSON field ``field`` indented."""

    @admin.display(description=field)
    def show(self, obj):
        return pretty_json(getattr(obj, field))

    return show


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable and deletable, not editable here; changelist actions still work."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Without an object this is the changelist's "may run actions" check.
        return obj is None and super().has_change_permission(request)


class ServiceDeleteMixin:
    """Deletes through a service (``delete_service``), one object at a time.

    A bulk delete is all or nothing; unless the service may refuse some objects
    (``refused``: those exceptions), then each refusal is a warning and the rest go.
    """

    delete_service = None
    refused: tuple[type[Exception], ...] = ()

    def delete_model(self, request, obj):
        type(self).delete_service(obj)

    def delete_queryset(self, request, queryset):
        if not self.refused:
            with transaction.atomic():
                for obj in queryset:
                    type(self).delete_service(obj)
            return
        for obj in queryset:
            try:
                type(self).delete_service(obj)
            except self.refused as exc:
                self.message_user(request, str(exc), messages.WARNING)


class ServiceActionMixin:
    """Changelist actions that call a service once per selected object."""

    refused: tuple[type[Exception], ...] = ()

    def run_each(self, request, queryset, action, done: str) -> None:
        """``action(obj)`` for each object; ``done`` (with ``{n}``) says how many it changed,
        and each refusal (``refused``) is a warning of its own."""
        changed, refusals = 0, []
        for obj in queryset:
            try:
                action(obj)
                changed += 1
            except self.refused as exc:
                refusals.append(str(exc))
        if changed:
            self.message_user(request, done.format(n=changed), messages.SUCCESS)
        for reason in refusals:
            self.message_user(request, reason, messages.WARNING)
