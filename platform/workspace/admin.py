"""Admin for projects, datasets, items, annotations and tasks.

Edits go through ``workspace.services`` where a service keeps a rule the model alone
cannot (an item's ``metadata.system`` is the server's, a project keeps an owner, deleting
an item removes its files). JSON fields are ``forms.JSONField``s, so text that is not
JSON, or JSON that is not an object, is a field error on the form and nothing is saved.
"""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from workspace.admin_mixins import ReadOnlyAdmin, ServiceDeleteMixin
from workspace.images import normalize_dir, validate_name
from workspace.models import Annotation, Dataset, Item, Membership, Project, Task, TaskItem
from workspace.services import annotations as annotation_services
from workspace.services import items as item_services
from workspace.services import projects as project_services
from workspace.services import tasks as task_services


def _admin_login(request, extra_context=None):
    # One sign-in page for the whole site: the admin sends visitors to /login/.
    return redirect_to_login(request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index"), settings.LOGIN_URL)


admin.site.login = _admin_login
admin.site.site_header = "Dataslot administration"
admin.site.site_title = "Dataslot admin"
admin.site.index_title = "Projects, data and functions"
admin.site.site_url = "/"


def _count(model, **outer):
    rows = model.objects.filter(**{k: OuterRef(v) for k, v in outer.items()}).order_by()
    return Coalesce(
        Subquery(rows.values(*outer).annotate(n=Count("pk")).values("n"), output_field=IntegerField()), Value(0)
    )


@admin.register(Project)
class ProjectAdmin(ServiceDeleteMixin, admin.ModelAdmin):
    list_display = ("name", "dataset_count", "member_count", "created_at")
    search_fields = ("name", "description")
    date_hierarchy = "created_at"
    readonly_fields = ("created_at", "member_list")
    fields = ("name", "description", "member_list", "created_at")

    @staticmethod
    def delete_service(project):
        project_services.project_delete(project=project)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(dataset_count=_count(Dataset, project="pk"), member_count=_count(Membership, project="pk"))
        )

    @admin.display(description="datasets", ordering="dataset_count")
    def dataset_count(self, obj):
        return obj.dataset_count

    @admin.display(description="members", ordering="member_count")
    def member_count(self, obj):
        return obj.member_count

    @admin.display(description="members")
    def member_list(self, obj):
        if not obj.pk:
            return "You become the owner; add more members under Memberships."
        rows = Membership.objects.filter(project=obj).select_related("user").order_by("user__username")
        listed = format_html_join(", ", "{} ({})", ((m.user.get_username(), m.role) for m in rows))
        link = reverse("admin:workspace_membership_changelist") + f"?project__id__exact={obj.pk}"
        return format_html('{} <a href="{}">Manage memberships</a>', listed or "none", link)

    def save_model(self, request, obj, form, change):
        if change:
            project_services.project_update(project=obj, name=obj.name, description=obj.description)
        else:
            # The admin who creates a project owns it, as with the API.
            created = project_services.project_create(name=obj.name, description=obj.description, owner=request.user)
            obj.pk, obj.created_at = created.pk, created.created_at
            obj._state.adding = False


@admin.register(Membership)
class MembershipAdmin(ServiceDeleteMixin, admin.ModelAdmin):
    list_display = ("user", "project", "role")
    list_filter = ("role", "project")
    search_fields = ("user__username", "project__name")
    list_select_related = ("user", "project")
    autocomplete_fields = ("project", "user")

    def get_readonly_fields(self, request, obj=None):
        # Who and where are the membership's identity; only the role changes.
        return ("project", "user") if obj else ()

    def save_model(self, request, obj, form, change):
        saved = project_services.membership_set(project=obj.project, user=obj.user, role=obj.role)
        obj.pk = saved.pk
        obj._state.adding = False

    @staticmethod
    def delete_service(membership):
        project_services.membership_delete(project=membership.project, user_id=membership.user_id)


@admin.register(Dataset)
class DatasetAdmin(ServiceDeleteMixin, admin.ModelAdmin):
    list_display = ("name", "project", "item_count", "created_at")
    list_filter = ("project",)
    search_fields = ("name", "project__name")
    list_select_related = ("project",)
    autocomplete_fields = ("project",)
    readonly_fields = ("created_at",)

    @staticmethod
    def delete_service(dataset):
        project_services.dataset_delete(dataset=dataset)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(item_count=_count(Item, dataset="pk"))

    @admin.display(description="items", ordering="item_count")
    def item_count(self, obj):
        return obj.item_count

    def get_readonly_fields(self, request, obj=None):
        return ("project", "created_at") if obj else ("created_at",)

    def save_model(self, request, obj, form, change):
        if change:
            project_services.dataset_update(dataset=obj, name=obj.name)
        else:
            created = project_services.dataset_create(project=obj.project, name=obj.name)
            obj.pk, obj.created_at = created.pk, created.created_at
            obj._state.adding = False


class ItemAdminForm(forms.ModelForm):
    """The service's rules for a name and a dir, as field errors instead of a failed save."""

    class Meta:
        model = Item
        fields = ("name", "dir", "hidden", "metadata")

    def clean_name(self):
        try:
            return validate_name(self.cleaned_data["name"])
        except ValidationError as exc:
            raise ValidationError(exc.messages)

    def clean_dir(self):
        try:
            return normalize_dir(self.cleaned_data["dir"])
        except ValidationError as exc:
            raise ValidationError(exc.messages)


@admin.register(Item)
class ItemAdmin(ServiceDeleteMixin, admin.ModelAdmin):
    form = ItemAdminForm
    list_display = (
        "thumbnail_preview",
        "name",
        "dir",
        "dataset",
        "width",
        "height",
        "mimetype",
        "hidden",
        "created_at",
    )
    list_display_links = ("thumbnail_preview", "name")
    list_filter = ("hidden", "type", "dataset__project", "dataset")
    search_fields = ("name", "dir")
    list_select_related = ("dataset",)
    raw_id_fields = ("dataset", "created_by")
    show_full_result_count = False  # COUNT(*) over a big items table on every page is slow
    fields = (
        "thumbnail_preview",
        "dataset",
        "name",
        "dir",
        "hidden",
        "metadata",
        "type",
        "width",
        "height",
        "size",
        "mimetype",
        "file",
        "created_by",
        "created_at",
    )
    readonly_fields = tuple(f for f in fields if f not in ("name", "dir", "hidden", "metadata"))

    @staticmethod
    def delete_service(item):
        item_services.item_delete(item=item)

    def has_add_permission(self, request):
        # An upload is decoded, checked and thumbnailed: use the dataset browser or the API.
        return False

    def get_urls(self):
        thumbnail = self.admin_site.admin_view(self.thumbnail_view)
        return [path("<int:item_id>/thumbnail/", thumbnail, name="workspace_item_thumbnail"), *super().get_urls()]

    def thumbnail_view(self, request, item_id: int):
        # Served by the admin itself: staff may not be members of the item's project.
        item = get_object_or_404(Item, pk=item_id)
        if not self.has_view_permission(request, item) or not item.thumbnail:
            raise Http404("No thumbnail.")
        return FileResponse(default_storage.open(item.thumbnail.name, "rb"))

    @admin.display(description="thumbnail")
    def thumbnail_preview(self, obj):
        if not obj.pk or not obj.thumbnail:
            return "—"
        url = reverse("admin:workspace_item_thumbnail", args=[obj.pk])
        return format_html(
            '<img src="{}" alt="{}" loading="lazy" style="max-width:128px;max-height:96px;object-fit:contain">',
            url,
            obj.filename,
        )

    @admin.display(description="mimetype")
    def mimetype(self, obj):
        return obj.mimetype

    def save_model(self, request, obj, form, change):
        # ``metadata.system`` is the server's: keep the stored one whatever the form sent.
        stored = Item.objects.get(pk=obj.pk)
        item_services.item_update(item=stored, name=obj.name, dir=obj.dir, hidden=obj.hidden, metadata=obj.metadata)
        obj.metadata = stored.metadata


@admin.register(Annotation)
class AnnotationAdmin(ServiceDeleteMixin, admin.ModelAdmin):
    list_display = ("id", "type", "label", "item", "source", "created_by", "created_at")
    list_filter = ("type", "source", "item__dataset__project")
    search_fields = ("label",)
    list_select_related = ("item", "created_by")
    raw_id_fields = ("item", "created_by")
    readonly_fields = ("created_at", "updated_at")
    show_full_result_count = False

    @staticmethod
    def delete_service(annotation):
        annotation_services.annotation_delete(annotation=annotation)

    def get_readonly_fields(self, request, obj=None):
        return ("item", "created_by", "created_at", "updated_at") if obj else ("created_by", "created_at", "updated_at")

    def save_model(self, request, obj, form, change):
        fields = {k: getattr(obj, k) for k in ("type", "label", "coordinates", "attributes", "metadata", "source")}
        if change:
            annotation_services.annotation_update(annotation=obj, **fields)
        else:
            created = annotation_services.annotation_create(item=obj.item, user=request.user, **fields)
            obj.pk, obj.created_by = created.pk, created.created_by
            obj._state.adding = False


@admin.register(Task)
class TaskAdmin(ServiceDeleteMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "dataset",
        "status",
        "progress_percent",
        "items_done",
        "items_total",
        "due_date",
        "created_at",
    )
    list_filter = ("status", "dataset__project", "due_date")
    search_fields = ("name", "dataset__name")
    list_select_related = ("dataset",)
    readonly_fields = (
        "dataset",
        "query",
        "assignee_list",
        "items_total",
        "items_done",
        "progress_percent",
        "created_by",
        "created_at",
    )
    fields = ("name", "status", "due_date", "metadata", *readonly_fields)

    @staticmethod
    def delete_service(task):
        task_services.task_delete(task=task)

    def has_add_permission(self, request):
        # A task's items come from a DQL query or a selection: create it in the tasks browser or the API.
        return False

    @admin.display(description="progress")
    def progress_percent(self, obj):
        return f"{obj.progress}%"

    @admin.display(description="assignees")
    def assignee_list(self, obj):
        return ", ".join(u.get_username() for u in obj.assignees.all()) or "—"

    def save_model(self, request, obj, form, change):
        task_services.task_update(
            task=obj, name=obj.name, status=obj.status, due_date=obj.due_date, metadata=obj.metadata
        )


@admin.register(TaskItem)
class TaskItemAdmin(ReadOnlyAdmin):
    # Read-only: "done" moves the task's counter; it is set from the tasks browser or the API.
    list_display = ("id", "task", "item", "done")
    list_filter = ("done",)
    search_fields = ("task__name", "item__name")
    list_select_related = ("task", "item")
    raw_id_fields = ("task", "item")
    show_full_result_count = False
