"""Executions in the admin: read, terminated and rerun through the executions service; their logs."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from faas.errors import Conflict
from faas.models import Execution, ExecutionLog
from faas.services import executions as execution_services
from workspace.admin_mixins import ReadOnlyAdmin, ServiceActionMixin, fields_of, json_display

LOG_PREVIEW_LINES = 200


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

    input_json = json_display("input")
    output_json = json_display("output")

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
