"""The wire vocabulary (design.md §3). Each enum is a ``str``, so its members compare
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
    DATASET = "dataset"


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
    ABORTED = "aborted"
    CANCELED = "canceled"
    SYSTEM_FAILURE = "system-failure"


FINISHED_STATUSES = frozenset(
    {
        ExecutionStatus.SUCCESS,
        ExecutionStatus.FAILED,
        ExecutionStatus.TERMINATED,
        ExecutionStatus.ABORTED,
        ExecutionStatus.CANCELED,
        ExecutionStatus.SYSTEM_FAILURE,
    }
)


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
    """What a query selects; the values are the resource names of slots and batches."""

    ITEM = "item"
    ANNOTATION = "annotation"
    TASK = "task"
    EXECUTION = "execution"


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
