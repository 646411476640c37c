"""Integrations (a project's secrets) in the admin: written, never shown."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from faas.models import Integration
from faas.services import integrations as integration_services
from workspace.admin_mixins import ServiceDeleteMixin


class IntegrationAdminForm(forms.ModelForm):
    # Write-only: the stored value is never rendered, not even masked.
    value = forms.CharField(
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        strip=False,
        required=False,
        help_text="The secret. It is encrypted and never shown again; leave empty to keep the current value.",
    )

    class Meta:
        model = Integration
        fields = ("project", "name")

    def clean_value(self):
        value = self.cleaned_data["value"]
        if self.instance.pk is None and not value:
            raise ValidationError("A new integration needs a value.")
        return value


@admin.register(Integration)
class IntegrationAdmin(ServiceDeleteMixin, admin.ModelAdmin):
    form = IntegrationAdminForm
    list_display = ("name", "project", "created_by", "updated_at")
    list_filter = ("project",)
    search_fields = ("name", "project__name")
    list_select_related = ("project", "created_by")
    autocomplete_fields = ("project",)

    def get_fields(self, request, obj=None):
        return (
            ("project", "name", "value", "created_by", "created_at", "updated_at")
            if obj
            else ("project", "name", "value")
        )

    def get_readonly_fields(self, request, obj=None):
        # The name is the environment variable services read: renaming one is delete and create.
        return ("project", "name", "created_by", "created_at", "updated_at") if obj else ()

    def save_model(self, request, obj, form, change):
        value = form.cleaned_data.get("value")
        if change:
            if value:
                integration_services.integration_set_value(integration=obj, value=value)
            return
        created = integration_services.integration_create(
            project=obj.project, name=obj.name, value=value, user=request.user
        )
        obj.pk, obj.created_by, obj.created_at = created.pk, created.created_by, created.created_at
        obj._state.adding = False

    @staticmethod
    def delete_service(integration):
        integration_services.integration_delete(integration=integration)
