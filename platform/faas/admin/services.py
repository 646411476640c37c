"""Services in the admin: deployed and updated from a revision, paused and resumed; and a
project's slot activations."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from faas.admin import forms as admin_forms
from faas.admin.forms import ServiceCallAdmin
from faas.models import Service, SlotActivation
from faas.services import services as service_services
from workspace.admin_mixins import ServiceActionMixin, ServiceDeleteMixin


@admin.register(Service)
class ServiceAdmin(ServiceDeleteMixin, ServiceActionMixin, ServiceCallAdmin):
    list_display = (
        "name",
        "project",
        "package",
        "package_revision",
        "module_name",
        "active",
        "health",
        "execution_timeout",
        "on_reset",
        "max_attempts",
        "updated_at",
    )
    list_filter = ("active", "on_reset", "project")
    search_fields = ("name", "module_name", "package__name", "project__name")
    list_select_related = ("project", "package")
    actions = ("pause_services", "resume_services")
    runtime_fieldset = ("Runtime", {"fields": admin_forms.RUNTIME_FIELDS})

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = admin_forms.ServiceUpdateForm if obj else admin_forms.ServiceDeployForm
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return (
                (
                    None,
                    {
                        "fields": ("package", "package_revision", "module_name", "name"),
                        "description": "Deploys a revision of a package in the package's project; "
                        "a name that exists there is updated to that revision.",
                    },
                ),
                self.runtime_fieldset,
            )
        return (
            (None, {"fields": ("name", "project", "package", "active", "bot", "service_page")}),
            # Another revision (or module) replaces the replicas once running work drains.
            ("Revision", {"fields": ("package_revision", "module_name")}),
            # Set by the runner, read-only here: an update of the service or a resume retries it.
            ("Health", {"fields": ("broken", "sandbox_gaps_list")}),
            self.runtime_fieldset,
            ("Record", {"fields": ("secret_names", "config_version", "created_at", "updated_at")}),
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return (
            "name",
            "project",
            "package",
            "active",
            "bot",
            "service_page",
            "broken",
            "sandbox_gaps_list",
            "secret_names",
            "config_version",
            "created_at",
            "updated_at",
        )

    @admin.display(description="service page")
    def service_page(self, obj):
        url = f"/projects/{obj.project_id}/services/{obj.pk}/"
        return format_html('<a href="{}">{}</a> (state, replicas, queue, charts, log)', url, url)

    @admin.display(description="health")
    def health(self, obj):
        problems = (["broken"] if obj.broken_reason else []) + (["sandbox gaps"] if obj.sandbox_gaps else [])
        if not problems:
            return "ok"
        return format_html('<strong style="color:#b00">{}</strong>', ", ".join(problems))

    @admin.display(description="broken")
    def broken(self, obj):
        if not obj.broken_reason:
            return "No: it can run."
        return format_html(
            '<strong style="color:#b00">Broken</strong>: {}<br>Its queued executions fail with this reason and its '
            "slots are disabled. Deploying a new revision or config, or pausing and resuming it, tries it again.",
            obj.broken_reason,
        )

    @admin.display(description="sandbox protections missing")
    def sandbox_gaps_list(self, obj):
        if not obj.sandbox_gaps:
            return "None: every protection applies."
        return format_html(
            '<ul style="margin:0;padding-left:1.2em;color:#b00">{}</ul>',
            format_html_join("", "<li>{}</li>", ((gap,) for gap in obj.sandbox_gaps)),
        )

    @admin.display(description="secrets")
    def secret_names(self, obj):
        return ", ".join(i.name for i in obj.secrets.all()) or "—"

    @staticmethod
    def delete_service(service):
        service_services.service_delete(service=service)

    @admin.action(description="Pause the selected services")
    def pause_services(self, request, queryset):
        pause = service_services.service_pause
        self.run_each(
            request, queryset, lambda s: pause(service=s), "Paused {n} service(s); their slots show as disabled."
        )

    @admin.action(description="Resume the selected services")
    def resume_services(self, request, queryset):
        resume = service_services.service_resume
        self.run_each(request, queryset, lambda s: resume(service=s), "Resumed {n} service(s).")


@admin.register(SlotActivation)
class SlotActivationAdmin(ServiceCallAdmin):
    """A project's slots of one service: activate (add), edit, deactivate (untick, or delete)."""

    list_display = ("service", "project", "slot_names", "updated_at")
    list_filter = ("project",)
    search_fields = ("service__name", "project__name")
    list_select_related = ("service", "project")

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = admin_forms.SlotActivationForm if obj else admin_forms.SlotActivationAddForm
        # The slot fields are made per activation by the form itself, not from the model.
        kwargs["fields"] = () if obj else ("service",)
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return (
                (
                    None,
                    {
                        "fields": ("service",),
                        "description": "Activates all the slots of the service's package revision in the "
                        "service's project; edit or deactivate them on the next page.",
                    },
                ),
            )
        return ((None, {"fields": ("project", "service", "updated_at")}), *admin_forms.slot_fieldsets(obj))

    def get_readonly_fields(self, request, obj=None):
        return ("project", "service", "updated_at") if obj else ()

    def response_add(self, request, obj, post_url_continue=None):
        # Straight on to the slots just activated: that is where they are edited.
        if "_addanother" not in request.POST and "_popup" not in request.POST:
            request.POST = request.POST.copy()
            request.POST["_continue"] = "1"
        return super().response_add(request, obj, post_url_continue)

    @admin.display(description="slots")
    def slot_names(self, obj):
        return ", ".join(s.get("displayName") or s.get("functionName", "?") for s in obj.slots) or "—"
