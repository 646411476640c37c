"""Projects, datasets, items, annotations and tasks.

Models validate themselves (``full_clean()`` is called by the services before every
save); business logic lives in ``workspace.services`` and reads in
``workspace.selectors``. Ids are integers ordered by creation, which is what keyset
pagination walks.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from workspace.geometry import validate_coordinates


def validate_json_object(value):
    if not isinstance(value, dict):
        raise ValidationError("Must be a JSON object.")


class Project(models.Model):
    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="projects")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner"
        DEVELOPER = "developer"
        ANNOTATOR = "annotator"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.ANNOTATOR)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="one_membership_per_user")]

    def __str__(self):
        return f"{self.user} in {self.project} ({self.role})"


class Dataset(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="datasets")
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="dataset_name_unique_in_project")]

    def __str__(self):
        return self.name


def item_upload_to(item, filename):
    return f"datasets/{item.dataset_id}/items/{filename}"


def thumbnail_upload_to(item, filename):
    return f"datasets/{item.dataset_id}/thumbnails/{filename}"


class Item(models.Model):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="items")
    name = models.CharField(max_length=255)
    dir = models.CharField(max_length=1024, default="/")
    type = models.CharField(max_length=20, default="file")
    hidden = models.BooleanField(default=False)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveBigIntegerField(help_text="Bytes of the stored original.")
    metadata = models.JSONField(default=dict, blank=True, validators=[validate_json_object])
    file = models.FileField(upload_to=item_upload_to, max_length=500)
    thumbnail = models.FileField(upload_to=thumbnail_upload_to, max_length=500)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["dataset", "id"], name="item_dataset_keyset"),
            # The browser's sortable columns, each keyset-paged on (value, id).
            models.Index(fields=["dataset", "name", "id"], name="item_dataset_name"),
            models.Index(fields=["dataset", "size", "id"], name="item_dataset_size"),
            models.Index(fields=["dataset", "created_at", "id"], name="item_dataset_created"),
        ]

    def __str__(self):
        return self.filename

    @property
    def filename(self) -> str:
        return self.dir.rstrip("/") + "/" + self.name

    @property
    def mimetype(self) -> str:
        return (self.metadata.get("system") or {}).get("mimetype", "")


class ItemMetadataValue(models.Model):
    """One node of an item's metadata, flattened, so that a filter on any ``metadata.<path>``
    is an index lookup (docs/architecture.md, "A million items").

    Written only by database triggers on ``workspace_item`` (migration 0002), never by Python:
    every writer (services, bulk creates, the admin, raw SQL) keeps it exact. ``path`` is the
    database's own spelling of the key path (SQLite: ``json_tree``'s ``fullkey``; PostgreSQL:
    the keys as a JSON array), see ``workspace.dql.index.path_key``.
    """

    item_id = models.BigIntegerField()
    dataset_id = models.BigIntegerField()
    path = models.TextField()
    kind = models.CharField(max_length=8)  # string, number, true, false, null, object, array
    number = models.FloatField(null=True)
    text = models.TextField(null=True)

    class Meta:
        managed = False  # created, indexed and kept by migration 0002's SQL (per backend)
        db_table = "workspace_item_metadata_value"


class ItemBlock(models.Model):
    """How many items of a dataset have ids in one block of ``BLOCK`` ids: a dataset's total
    is the sum of a few hundred rows, and page N is found by walking them, not by counting
    items. Kept by database triggers on ``workspace_item`` (migration 0002)."""

    BLOCK = 4096

    dataset_id = models.BigIntegerField()
    block = models.BigIntegerField()
    items = models.BigIntegerField()

    class Meta:
        managed = False
        db_table = "workspace_item_block"


class Annotation(models.Model):
    class Type(models.TextChoices):
        BOX = "box"
        POLYGON = "polygon"
        POINT = "point"
        CLASSIFICATION = "classification"

    class Source(models.TextChoices):
        USER = "user"
        FUNCTION = "function"

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="annotations")
    type = models.CharField(max_length=20, choices=Type.choices)
    label = models.CharField(max_length=200)
    # box: [[x1, y1], [x2, y2]]; polygon: [[x, y], ...]; point: [[x, y]]; classification: [].
    coordinates = models.JSONField(default=list, blank=True)
    attributes = models.JSONField(default=dict, blank=True, validators=[validate_json_object])
    metadata = models.JSONField(default=dict, blank=True, validators=[validate_json_object])
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.USER)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["item", "id"], name="annotation_item_keyset")]

    def __str__(self):
        return f"{self.type} {self.label}"

    def clean(self):
        if self.type in self.Type.values and self.item_id:
            validate_coordinates(self.type, self.coordinates, width=self.item.width, height=self.item.height)


class Task(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        IN_PROGRESS = "in-progress"
        COMPLETED = "completed"

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="tasks")
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    due_date = models.DateField(null=True, blank=True)
    # The DQL query the items were chosen by, kept for the record (empty for an explicit list).
    query = models.JSONField(default=dict, blank=True, validators=[validate_json_object])
    metadata = models.JSONField(default=dict, blank=True, validators=[validate_json_object])
    items = models.ManyToManyField(Item, through="TaskItem", related_name="tasks")
    assignees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="assigned_tasks")
    items_total = models.PositiveIntegerField(default=0, validators=[MinValueValidator(0)])
    items_done = models.PositiveIntegerField(default=0, validators=[MinValueValidator(0)])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["dataset", "name"], name="task_name_unique_in_dataset")]

    def __str__(self):
        return self.name

    @property
    def progress(self) -> int:
        """Percent done, 0-100 (the one progress unit everywhere)."""
        return round(100 * self.items_done / self.items_total) if self.items_total else 0

    def clean(self):
        if self.items_done > self.items_total:
            raise ValidationError({"items_done": "Cannot exceed the number of items in the task."})


class TaskItem(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="task_items")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="task_items")
    done = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "item"], name="task_item_once")]
        # The studio's "next unfinished" (studio/tasks/task_work.py): only the items not
        # done yet are in this index, so it is one lookup even when nearly all are done.
        indexes = [
            models.Index(fields=["task", "item"], condition=models.Q(done=False), name="task_item_unfinished"),
        ]
