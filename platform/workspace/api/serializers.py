"""The workspace's JSON, exactly as docs/api.md names it (camelCase).

Output serializers are plain field lists over the models, for the schema; what they
answer is the entity's representation (workspace/representations.py, shared with the
runner, the triggers and the pages). Input serializers only check shapes and types, the
services decide everything else.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from workspace.ids import IdField
from workspace.models import Annotation, Dataset, Item, Membership, Project, Task
from workspace.representations import ItemUrls, annotation_json, dataset_json, item_json, task_json
from workspace.selectors.projects import role_of

# ----- output -------------------------------------------------------------------------


class ProjectSerializer(serializers.ModelSerializer):
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    role = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = ["id", "name", "description", "createdAt", "role"]

    @extend_schema_field(serializers.ChoiceField(choices=Membership.Role.choices, allow_null=True))
    def get_role(self, project) -> str | None:
        role = getattr(project, "role", None)
        if role is None and "request" in self.context:
            role = role_of(user=self.context["request"].user, project=project)
        return role


class MemberSerializer(serializers.ModelSerializer):
    userId = serializers.IntegerField(source="user_id", read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Membership
        fields = ["userId", "username", "role"]


class DatasetSerializer(serializers.ModelSerializer):
    projectId = serializers.IntegerField(source="project_id", read_only=True)
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    itemsCount = serializers.SerializerMethodField()

    class Meta:
        model = Dataset
        fields = ["id", "projectId", "name", "createdAt", "itemsCount"]

    def to_representation(self, dataset) -> dict:
        return dataset_json(dataset)

    def get_itemsCount(self, dataset) -> int:
        """Kept by triggers (``ItemBlock``), never counted; annotated by the list's selector."""
        return dataset_json(dataset)["itemsCount"]


def _item_urls(serializer) -> ItemUrls:
    """The page's item URLs, absolute when there is a request; each route resolved once per page."""
    context = serializer.context
    urls = context.get("_item_urls")
    if urls is None:
        request = context.get("request")
        urls = context["_item_urls"] = ItemUrls(request.build_absolute_uri if request is not None else None)
    return urls


class ItemSerializer(serializers.ModelSerializer):
    datasetId = serializers.IntegerField(source="dataset_id", read_only=True)
    projectId = serializers.SerializerMethodField()
    filename = serializers.CharField(read_only=True)
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    url = serializers.SerializerMethodField()
    thumbnailUrl = serializers.SerializerMethodField()

    class Meta:
        model = Item
        fields = [
            "id",
            "datasetId",
            "projectId",
            "name",
            "dir",
            "filename",
            "type",
            "hidden",
            "width",
            "height",
            "size",
            "metadata",
            "createdAt",
            "url",
            "thumbnailUrl",
        ]

    def to_representation(self, item) -> dict:
        # Written out (workspace.representations): a list page renders up to 1,000 items, and
        # DRF's field-by-field path costs several times more. The declared fields describe the schema.
        # A list view passes the dataset's project so a page costs no join.
        return item_json(item, project_id=self.context.get("project_id"), urls=_item_urls(self))

    def get_projectId(self, item) -> int:
        project_id = self.context.get("project_id")
        return project_id if project_id is not None else item.dataset.project_id

    def get_url(self, item) -> str:
        return _item_urls(self)("item-download", item.pk)

    def get_thumbnailUrl(self, item) -> str:
        return _item_urls(self)("item-thumbnail", item.pk)


class TaskItemSerializer(ItemSerializer):
    done = serializers.BooleanField(read_only=True)

    class Meta(ItemSerializer.Meta):
        fields = [*ItemSerializer.Meta.fields, "done"]

    def to_representation(self, item) -> dict:
        return {**super().to_representation(item), "done": item.done}


class AnnotationSerializer(serializers.ModelSerializer):
    itemId = serializers.IntegerField(source="item_id", read_only=True)
    datasetId = serializers.IntegerField(source="item.dataset_id", read_only=True)
    projectId = serializers.IntegerField(source="item.dataset.project_id", read_only=True)
    coordinates = serializers.JSONField()
    creator = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    updatedAt = serializers.DateTimeField(source="updated_at", read_only=True)

    class Meta:
        model = Annotation
        fields = [
            "id",
            "itemId",
            "datasetId",
            "projectId",
            "type",
            "label",
            "coordinates",
            "attributes",
            "metadata",
            "source",
            "creator",
            "createdAt",
            "updatedAt",
        ]

    def to_representation(self, annotation) -> dict:
        return annotation_json(annotation)

    def get_creator(self, annotation) -> str | None:
        return annotation.created_by.username if annotation.created_by_id else None


class TaskSerializer(serializers.ModelSerializer):
    projectId = serializers.IntegerField(source="dataset.project_id", read_only=True)
    datasetId = serializers.IntegerField(source="dataset_id", read_only=True)
    dueDate = serializers.DateField(source="due_date", read_only=True, allow_null=True)
    assignees = serializers.SerializerMethodField()
    itemsTotal = serializers.IntegerField(source="items_total", read_only=True)
    itemsDone = serializers.IntegerField(source="items_done", read_only=True)
    progress = serializers.IntegerField(read_only=True)
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "projectId",
            "datasetId",
            "name",
            "status",
            "dueDate",
            "query",
            "assignees",
            "itemsTotal",
            "itemsDone",
            "progress",
            "metadata",
            "createdAt",
        ]

    def to_representation(self, task) -> dict:
        return task_json(task)

    def get_assignees(self, task) -> list[str]:
        return sorted(u.username for u in task.assignees.all())


# ----- input --------------------------------------------------------------------------


class ProjectInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")


class MemberInputSerializer(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.ChoiceField(choices=Membership.Role.choices)


class DatasetInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)


class ItemUploadSerializer(serializers.Serializer):
    """The multipart form of an upload (for the schema; the view reads ``request.FILES``)."""

    file = serializers.ListField(child=serializers.FileField(), help_text="One or more image files.")
    dir = serializers.CharField(required=False, default="/")
    metadata = serializers.CharField(required=False, help_text="A JSON object, as text.")
    name = serializers.CharField(required=False, help_text="Only with a single file.")
    key = serializers.CharField(
        required=False,
        max_length=64,
        help_text=(
            "Only with a single file: the client's name for this upload. Sent again to the dataset (a retry "
            "after a lost answer), it returns the item the first upload made instead of a second one."
        ),
    )


class ItemUploadResultSerializer(serializers.Serializer):
    results = ItemSerializer(many=True)


class ItemUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, max_length=255)
    dir = serializers.CharField(required=False, allow_blank=True, max_length=1024)
    hidden = serializers.BooleanField(required=False)
    metadata = serializers.DictField(required=False)


class AnnotationInputSerializer(serializers.Serializer):
    type = serializers.CharField()
    label = serializers.CharField(max_length=200)
    coordinates = serializers.JSONField(required=False, default=list)
    attributes = serializers.DictField(required=False, default=dict)
    metadata = serializers.DictField(required=False, default=dict)
    source = serializers.CharField(required=False, default="user")


class AnnotationUpdateSerializer(serializers.Serializer):
    type = serializers.CharField(required=False)
    label = serializers.CharField(required=False, max_length=200)
    coordinates = serializers.JSONField(required=False)
    attributes = serializers.DictField(required=False)
    metadata = serializers.DictField(required=False)


class TaskInputSerializer(serializers.Serializer):
    datasetId = IdField()
    name = serializers.CharField(max_length=200)
    dueDate = serializers.DateField(required=False, allow_null=True, default=None)
    assignees = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    query = serializers.JSONField(required=False, allow_null=True, default=None)
    itemIds = serializers.ListField(child=IdField(), required=False, allow_null=True, default=None)


class TaskUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, max_length=200)
    status = serializers.ChoiceField(choices=Task.Status.choices, required=False)
    dueDate = serializers.DateField(required=False, allow_null=True)
    assignees = serializers.ListField(child=serializers.CharField(), required=False)


class TaskItemDoneSerializer(serializers.Serializer):
    done = serializers.BooleanField(default=True)


def validated(serializer_class, data, *, partial: bool = False) -> dict:
    """The checked input, or a 400 with DRF's field messages."""
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
