"""Packages in the admin: pushed (a revision per upload), their revisions read-only history."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from faas.admin import forms as admin_forms
from faas.admin.forms import ServiceCallAdmin
from faas.errors import Conflict
from faas.models import Package, PackageRevision
from faas.services import packages as package_services
from workspace.admin_mixins import ReadOnlyAdmin, ServiceDeleteMixin, json_display


@admin.register(Package)
class PackageAdmin(ServiceDeleteMixin, ServiceCallAdmin):
    list_display = ("name", "project", "version", "created_by", "updated_at")
    list_filter = ("project",)
    search_fields = ("name", "project__name")
    list_select_related = ("project", "created_by")

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = admin_forms.PackageRevisionForm if obj else admin_forms.PackagePushForm
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return ((None, {"fields": ("project", "name", "archive", "modules", "slots")}),)
        return (
            (None, {"fields": ("project", "name", "version", "created_by", "revisions_list")}),
            (
                "Upload a new revision",
                {
                    "fields": ("archive", "modules", "slots"),
                    "description": "Saving makes a new revision, checked like a push through the API. "
                    "Services keep running their revision until they are updated to the new one.",
                },
            ),
        )

    def get_readonly_fields(self, request, obj=None):
        return ("project", "name", "version", "created_by", "revisions_list") if obj else ()

    @admin.display(description="revisions")
    def revisions_list(self, obj):
        rows = format_html_join(
            "",
            '<li><a href="{}">{}</a> · {} · sha256 {}</li>',
            (
                (
                    reverse("admin:faas_packagerevision_change", args=[r.pk]),
                    r.version,
                    f"{r.created_at:%Y-%m-%d %H:%M}",
                    r.archive_sha256[:12],
                )
                for r in obj.revisions.order_by("-version")
            ),
        )
        return format_html('<ul style="margin:0;padding-left:1.2em">{}</ul>', rows)

    refused = (Conflict,)  # a package a service still runs stays; the others go

    @staticmethod
    def delete_service(package):
        package_services.package_delete(package=package)


@admin.register(PackageRevision)
class PackageRevisionAdmin(ReadOnlyAdmin):
    list_display = ("package", "version", "archive_sha256", "created_at")
    list_filter = ("package__project",)
    search_fields = ("package__name",)
    list_select_related = ("package",)
    fields = ("package", "version", "archive", "archive_sha256", "modules_json", "slots_json", "created_at")
    readonly_fields = fields

    def has_delete_permission(self, request, obj=None):
        # Revisions are immutable history; services and executions point at them.
        return False

    modules_json = json_display("modules")
    slots_json = json_display("slots")
