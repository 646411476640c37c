"""The wire vocabulary of functions (docs/design.md "Vocabulary"). These strings are the API."""

from django.db import models


class ExecutionStatus(models.TextChoices):
    CREATED = "created"
    IN_PROGRESS = "in-progress"
    SUCCESS = "success"
    FAILED = "failed"
    TERMINATED = "terminated"


FINISHED_STATUSES = frozenset({ExecutionStatus.SUCCESS, ExecutionStatus.FAILED, ExecutionStatus.TERMINATED})


class OnResetAction(models.TextChoices):
    FAILED = "failed"
    RERUN = "rerun"


class SlotPostActionType(models.TextChoices):
    DOWNLOAD = "download"
    DRAW_ANNOTATION = "drawAnnotation"
    NO_ACTION = "noAction"


class SlotDisplayScopeResource(models.TextChoices):
    ITEM = "item"
    ANNOTATION = "annotation"
    TASK = "task"


class UiBindingPanel(models.TextChoices):
    BROWSER = "browser"
    STUDIO = "studio"
    TABLE = "table"
    ALL = "all"


class TriggerType(models.TextChoices):
    EVENT = "Event"
    CRON = "Cron"


class TriggerResource(models.TextChoices):
    ITEM = "Item"
    DATASET = "Dataset"
    ANNOTATION = "Annotation"
    TASK = "Task"
    ITEM_STATUS = "ItemStatus"


class TriggerAction(models.TextChoices):
    CREATED = "Created"
    UPDATED = "Updated"
    DELETED = "Deleted"
    STATUS_CHANGED = "statusChanged"


class TriggerExecutionMode(models.TextChoices):
    ONCE = "Once"
    ALWAYS = "Always"


ENTITY_INPUT_TYPES = ("Item", "Annotation", "Task", "Dataset")
SCALAR_INPUT_TYPES = ("Json", "String", "Number", "Integer", "Float", "Boolean")
PACKAGE_INPUT_TYPES = ENTITY_INPUT_TYPES + SCALAR_INPUT_TYPES
