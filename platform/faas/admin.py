"""Admin for packages, services, slot activations, executions and integrations.

Packages can be pushed (a new revision per upload), services deployed or updated from a
revision, and a project's slots activated, deactivated and edited here. Every write goes
through ``faas.services``, the same functions as the API (the forms in
``faas.admin_forms`` call them), so the admin keeps the API's rules and its errors; the
controls for running work (pause/resume, terminate/rerun) call them too.
"""

import json

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from faas import admin_forms
from faas.errors import Conflict
from faas.models import (
    Execution,
    ExecutionLog,
    Integration,
    Package,
    PackageRevision,
    Service,
    SlotActivation,
    Trigger,
    TriggerEvent,
    TriggerFire,
    TriggerOnce,
)
from faas.services import executions as execution_services
from faas.services import integrations as integration_services
from faas.services import packages as package_services
from faas.services import services as service_services
from faas.services import triggers as trigger_services
from workspace.admin_mixins import ReadOnlyAdmin, ServiceActionMixin, ServiceDeleteMixin, fields_of

LOG_PREVIEW_LINES = 200


def _pretty_json(value):
    return format_html('<pre style="white-space:pre-wrap;margin:0">{}</pre>', json.dumps(value, indent=2))


def _json_display(field: str):
    """A read-only admin field that shows the JSON field ``field`` indented."""

    @admin.display(description=field)
    def show(self, obj):
        return _pretty_json(getattr(obj, field))

    return show


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


class ServiceCallAdmin(admin.ModelAdmin):
    """Its forms save through ``faas.services`` while validating (faas.admin_forms); the
    object shown afterwards is the one the service returned."""

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def save_form(self, request, form, change):
        return form.saved

    def save_model(self, request, obj, form, change):
        pass  # saved by the service already

    def save_related(self, request, form, formsets, change):
        pass


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

    modules_json = _json_display("modules")
    slots_json = _json_display("slots")


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


@admin.register(Execution)
class ExecutionAdmin(ServiceActionMixin, ReadOnlyAdmin):
    list_display = (
        "id",
        "function_name",
        "service",
        "project",
        "status",
        "percent_complete",
        "attempts",
        "to_terminate",
        "creator",
        "worker",
        "created_at",
        "duration_seconds",
    )
    list_filter = ("status", "to_terminate", "project", "service")
    search_fields = ("=id", "function_name", "service__name", "worker__name")
    list_select_related = ("service", "project", "creator", "worker")
    show_full_result_count = False  # executions grow without bound
    actions = ("terminate_executions", "rerun_executions")
    fieldsets = (
        (None, {"fields": ("project", "service", "package_revision", "function_name", "creator")}),
        (
            "State",
            {
                "fields": (
                    "status",
                    "percent_complete",
                    "message",
                    "attempts",
                    "max_attempts",
                    "to_terminate",
                    "worker",
                    "created_at",
                    "started_at",
                    "finished_at",
                    "duration_seconds",
                )
            },
        ),
        ("Data", {"fields": ("input_json", "output_json", "status_log_table", "log_preview")}),
    )
    readonly_fields = fields_of(fieldsets)
    refused = (Conflict,)  # a finished execution is not terminated, a running one not rerun

    @admin.display(description="duration (s)")
    def duration_seconds(self, obj):
        return "—" if obj.duration is None else f"{obj.duration:.1f}"

    input_json = _json_display("input")
    output_json = _json_display("output")

    @admin.display(description="status log")
    def status_log_table(self, obj):
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((e.get("timestamp", ""), e.get("status", ""), e.get("message", "")) for e in obj.status_log or []),
        )
        return format_html(
            "<table><thead><tr><th>time</th><th>status</th><th>message</th></tr></thead><tbody>{}</tbody></table>", rows
        )

    @admin.display(description=f"log (last {LOG_PREVIEW_LINES} lines)")
    def log_preview(self, obj):
        lines = list(obj.log_lines.order_by("-id").values_list("text", flat=True)[:LOG_PREVIEW_LINES])
        return format_html('<pre style="white-space:pre-wrap;margin:0">{}</pre>', "".join(reversed(lines)) or "—")

    @admin.action(description="Terminate the selected executions")
    def terminate_executions(self, request, queryset):
        terminate = execution_services.execution_terminate
        self.run_each(
            request,
            queryset,
            lambda e: terminate(execution=e, user=request.user),
            "Asked to terminate {n} execution(s).",
        )

    @admin.action(description="Rerun the selected executions")
    def rerun_executions(self, request, queryset):
        rerun = execution_services.execution_rerun
        self.run_each(
            request, queryset, lambda e: rerun(execution=e, user=request.user), "Queued again {n} execution(s)."
        )


@admin.register(ExecutionLog)
class ExecutionLogAdmin(ReadOnlyAdmin):
    list_display = ("id", "execution", "created_at", "short_text")
    search_fields = ("=execution__id",)
    list_select_related = ("execution",)
    raw_id_fields = ("execution",)
    show_full_result_count = False
    fields = ("execution", "created_at", "text")
    readonly_fields = fields

    @admin.display(description="text")
    def short_text(self, obj):
        return obj.text[:120]


@admin.register(Trigger)
class TriggerAdmin(ServiceDeleteMixin, ServiceActionMixin, ReadOnlyAdmin):
    """Triggers are made through the API or the SDK (their checks live in the service);
    here they are listed, paused, resumed and deleted."""

    list_display = ("name", "service", "project", "type", "what", "function_name", "active", "last_fired_at")
    list_filter = ("type", "active", "project")
    search_fields = ("name", "service__name", "function_name")
    list_select_related = ("service", "project")
    fields = (
        "name",
        "project",
        "service",
        "type",
        "active",
        "function_name",
        "resource",
        "actions",
        "filters",
        "execution_mode",
        "cron",
        "start_at",
        "end_at",
        "inputs",
        "last_fired_at",
        "created_by",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    actions = ("pause_triggers", "resume_triggers")

    @admin.display(description="on")
    def what(self, obj):
        return obj.cron if obj.type == "Cron" else f"{obj.resource}: {', '.join(obj.actions)}"

    @staticmethod
    def delete_service(trigger):
        trigger_services.trigger_delete(trigger=trigger)

    def _set_active(self, request, queryset, active: bool, done: str):
        triggers = queryset.select_related("service__package", "service__project")
        set_active = trigger_services.trigger_set_active
        self.run_each(request, triggers, lambda t: set_active(trigger=t, active=active), done)

    @admin.action(description="Pause the selected triggers")
    def pause_triggers(self, request, queryset):
        self._set_active(request, queryset, False, "Paused {n} trigger(s).")

    @admin.action(description="Resume the selected triggers")
    def resume_triggers(self, request, queryset):
        self._set_active(request, queryset, True, "Resumed {n} trigger(s).")


@admin.register(TriggerEvent)
class TriggerEventAdmin(ReadOnlyAdmin):
    """The triggers' outbox: changes waiting for the trigger pump (normally empty within a second)."""

    list_display = ("id", "project", "resource", "action", "size", "created_at")
    list_select_related = ("project",)
    fields = ("project", "resource", "action", "entity_ids", "records", "created_at")
    readonly_fields = fields

    @admin.display(description="entities")
    def size(self, obj):
        return len(obj.entity_ids)


@admin.register(TriggerFire)
class TriggerFireAdmin(ReadOnlyAdmin):
    """The last fire time each cron trigger ran (its claim: one row per fire time)."""

    list_display = ("trigger", "fire_at")
    list_select_related = ("trigger",)
    fields = ("trigger", "fire_at")
    readonly_fields = fields


@admin.register(TriggerOnce)
class TriggerOnceAdmin(ReadOnlyAdmin):
    """Entities a ``Once`` trigger has run on."""

    list_display = ("trigger", "entity_id")
    list_select_related = ("trigger",)
    search_fields = ("=entity_id",)
    fields = ("trigger", "entity_id")
    readonly_fields = fields
