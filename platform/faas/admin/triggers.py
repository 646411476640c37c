"""Triggers in the admin: listed, paused, resumed and deleted (made through the API or the SDK);
their outbox, fire times and once-memory, read-only."""

from __future__ import annotations

from django.contrib import admin

from faas.models import Trigger, TriggerEvent, TriggerFire, TriggerOnce
from faas.services import triggers as trigger_services
from workspace.admin_mixins import ReadOnlyAdmin, ServiceActionMixin, ServiceDeleteMixin


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
