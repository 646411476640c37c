"""Admin for workers: every dispatcher (the embedded one, each scale-out worker) as the database sees it.

Read-only: workers register and heartbeat themselves (``runner/workers.py``). The state
shown is the one the leases act on: a worker whose heartbeat is older than
``DATASLOT_WORKER_LEASE`` has lost what it held, and any dispatcher resets it.
"""

from django.conf import settings
from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from faas.models import Service
from runner.models import Worker


def worker_state(worker: Worker, now=None) -> str:
    """ "up", "stopped" or "lease expired", as the leases see it."""
    if worker.stopped_at is not None:
        return "stopped"
    age = ((now or timezone.now()) - worker.heartbeat_at).total_seconds()
    return "lease expired" if age > settings.DATASLOT_WORKER_LEASE else "up"


@admin.register(Worker)
class WorkerAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "host",
        "executor",
        "state",
        "heartbeat",
        "replica_count",
        "running",
        "version",
        "pid",
        "started_at",
    )
    list_filter = ("executor", ("stopped_at", admin.EmptyFieldListFilter), "host")
    search_fields = ("name", "host", "=id")
    show_full_result_count = False
    fields = (
        "id",
        "name",
        "host",
        "pid",
        "executor",
        "version",
        "state",
        "started_at",
        "heartbeat",
        "stopped_at",
        "running",
        "replica_table",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Executions name the worker that ran them; rows of stopped workers are the record.
        return False

    @admin.display(description="state")
    def state(self, obj):
        state = worker_state(obj)
        colour = {"up": "#070", "stopped": "#666", "lease expired": "#b00"}[state]
        return format_html('<strong style="color:{}">{}</strong>', colour, state)

    @admin.display(description="last heartbeat", ordering="heartbeat_at")
    def heartbeat(self, obj):
        age = (timezone.now() - obj.heartbeat_at).total_seconds()
        return format_html(
            '<time datetime="{}">{}</time> ({} s ago)',
            obj.heartbeat_at.isoformat(),
            timezone.localtime(obj.heartbeat_at).strftime("%Y-%m-%d %H:%M:%S"),
            f"{max(age, 0):.1f}",
        )

    @admin.display(description="replicas")
    def replica_count(self, obj):
        return len(obj.replicas or [])

    @admin.display(description="replicas (as of the last heartbeat)")
    def replica_table(self, obj):
        if not obj.replicas:
            return "None."
        names = dict(
            Service.objects.filter(pk__in=[r.get("serviceId") for r in obj.replicas]).values_list("id", "name")
        )
        rows = format_html_join(
            "",
            "<tr><td>{} (#{})</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    names.get(r.get("serviceId"), "?"),
                    r.get("serviceId", ""),
                    r.get("pid", ""),
                    "yes" if r.get("ready") else "no",
                    r.get("runs", ""),
                )
                for r in obj.replicas
            ),
        )
        return format_html(
            "<table><thead><tr><th>service</th><th>pid</th><th>ready</th><th>running</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            rows,
        )
