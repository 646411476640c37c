"""The wire vocabulary (docs/design.md "Vocabulary"). Each enum is a ``str``, so its members compare
equal to, and serialise as, the exact strings the server speaks."""

from enum import StrEnum


class SlotPostActionType(StrEnum):
    DOWNLOAD = "download"
    DRAW_ANNOTATION = "drawAnnotation"
    NO_ACTION = "noAction"


class SlotDisplayScopeResource(StrEnum):
    ITEM = "item"
    ANNOTATION = "annotation"
    TASK = "task"


class UiBindingPanel(StrEnum):
    BROWSER = "browser"
    STUDIO = "studio"
    TABLE = "table"
    ALL = "all"


class ExecutionStatus(StrEnum):
    CREATED = "created"
    IN_PROGRESS = "in-progress"
    SUCCESS = "success"
    FAILED = "failed"
    TERMINATED = "terminated"


FINISHED_STATUSES = frozenset({ExecutionStatus.SUCCESS, ExecutionStatus.FAILED, ExecutionStatus.TERMINATED})


class OnResetAction(StrEnum):
    FAILED = "failed"
    RERUN = "rerun"


class PackageInputType(StrEnum):
    ITEM = "Item"
    ANNOTATION = "Annotation"
    TASK = "Task"
    DATASET = "Dataset"
    JSON = "Json"
    STRING = "String"
    NUMBER = "Number"
    INTEGER = "Integer"
    FLOAT = "Float"
    BOOLEAN = "Boolean"
    ITEMS = "Item[]"
    ANNOTATIONS = "Annotation[]"
    TASKS = "Task[]"
    DATASETS = "Dataset[]"
    JSONS = "Json[]"
    STRINGS = "String[]"
    NUMBERS = "Number[]"
    INTEGERS = "Integer[]"
    FLOATS = "Float[]"
    BOOLEANS = "Boolean[]"


class FiltersResource(StrEnum):
    """What a query selects; the values are the resource names of slots and batches, and
    ``execution`` (an executions listing's filter).

    dtlpy's own values (``"items"``, ``"annotations"``, ...) are accepted too:
    ``dl.FiltersResource("items") is dl.FiltersResource.ITEM``.
    """

    ITEM = "item"
    ANNOTATION = "annotation"
    TASK = "task"
    EXECUTION = "execution"

    @classmethod
    def _missing_(cls, value):
        if isinstance(value, str):
            singular = value.lower().removesuffix("s")
            for member in cls:
                if member.value == singular:
                    return member
        return None


class FiltersOrderByDirection(StrEnum):
    ASCENDING = "ascending"
    DESCENDING = "descending"


class FiltersOperations(StrEnum):
    """DQL comparison operators (dtlpy's names; ``$`` is added when a query is built)."""

    EQUAL = "eq"
    NOT_EQUAL = "ne"
    GREATER_THAN = "gt"
    GREATER_THAN_OR_EQUAL = "gte"
    LESS_THAN = "lt"
    LESS_THAN_OR_EQUAL = "lte"
    IN = "in"
    NOT_IN = "nin"
    NIN = "nin"
    EXISTS = "exists"
    OR = "or"
    AND = "and"


class FiltersMethod(StrEnum):
    AND = "and"
    OR = "or"


class TriggerResource(StrEnum):
    ITEM = "Item"
    DATASET = "Dataset"
    ANNOTATION = "Annotation"
    TASK = "Task"
    ITEM_STATUS = "ItemStatus"


class TriggerAction(StrEnum):
    CREATED = "Created"
    UPDATED = "Updated"
    DELETED = "Deleted"
    STATUS_CHANGED = "statusChanged"


class TriggerExecutionMode(StrEnum):
    ONCE = "Once"
    ALWAYS = "Always"


class TriggerType(StrEnum):
    EVENT = "Event"
    CRON = "Cron"
