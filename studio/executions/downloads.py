"""The ``download`` post-action for several executions: their output items as one zip."""

from __future__ import annotations

import tempfile
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404

from faas.models import Execution
from workspace import references
from workspace.ids import parse_id
from workspace.models import Item, Project

MAX_EXECUTIONS = 1000
# One zip is built before it is sent: bounded, whatever the outputs name (an output may
# list every item of the project). Items: DATASLOT_MAX_ZIP_ITEMS (5000).
MAX_ZIP_BYTES = 2 * 1024**3


def parse_ids(text: str) -> list[int]:
    parts = [p.strip() for p in (text or "").split(",") if p.strip()]
    if not parts or not all(parse_id(p) for p in parts):
        raise ValidationError("ids must be a comma-separated list of execution ids.")
    if len(parts) > MAX_EXECUTIONS:
        raise ValidationError(f"At most {MAX_EXECUTIONS} executions at once.")
    return sorted({int(p) for p in parts})


def output_items(*, project: Project, execution_ids: list[int]) -> list[Item]:
    """The items the executions returned. An id of another project is a 404, as if it
    did not exist; items are read only from this project too, whatever an output says."""
    outputs = dict(Execution.objects.filter(project=project, pk__in=execution_ids).values_list("pk", "output"))
    if len(outputs) != len(execution_ids):
        raise Http404("No such execution.")
    wanted = [i for pk in execution_ids for i in references.ids_of(outputs[pk], "item")]
    items = Item.objects.filter(dataset__project=project, pk__in=wanted).only("id", "name", "file", "size")
    by_id = {item.pk: item for item in items}
    return [by_id[i] for i in dict.fromkeys(wanted) if i in by_id]


def check_zip(items: list[Item]) -> None:
    """A ValidationError saying so when the items are more than one zip holds."""
    total = sum(item.size or 0 for item in items)
    most = settings.DATASLOT_MAX_ZIP_ITEMS
    if len(items) > most or total > MAX_ZIP_BYTES:
        raise ValidationError(
            f"These executions returned {len(items)} items ({total // (1024 * 1024)} MiB): one zip holds at most "
            f"{most} items and {MAX_ZIP_BYTES // (1024 * 1024)} MiB. Download fewer executions at once."
        )


def zip_of(items: list[Item]):
    """A temporary file holding the zip (spooled to disk past a few MB), rewound."""
    archive = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    used: set[str] = set()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:  # images are compressed already
        for item in items:
            name = item.name if item.name not in used else f"{item.pk}-{item.name}"
            used.add(name)
            with item.file.open("rb") as source, zf.open(name, "w") as target:
                while chunk := source.read(1024 * 1024):
                    target.write(chunk)
    archive.seek(0)
    return archive
