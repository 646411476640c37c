"""What execution rows call things by: the slot's display name, and the names of the
entities an execution ran on and returned ("item “cat.png”" rather than "item 30").

Read for a whole page of rows or a whole live batch at once: one query for the project's
slots and one per kind of entity named, never one per row. Only entities of the
execution's own project are named; a reference to anything else stays a bare id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from faas.models import SlotActivation
from workspace import references
from workspace.models import Annotation, Dataset, Item, Task

MAX_NAMED = 500  # references named per kind and batch; more stay bare ids
OUTPUT_SUMMARY_CHARS = 120


@dataclass(frozen=True)
class EntityName:
    text: str  # e.g. item “cat.png”
    url: str


@dataclass
class Labels:
    slot_names: dict[tuple[int, str], str] = field(default_factory=dict)
    entities: dict[tuple[str, int], EntityName] = field(default_factory=dict)

    def entity(self, ref: tuple[str, int]) -> EntityName | None:
        return self.entities.get(ref)


def refs_of(value) -> list[tuple[str, int]]:
    """The entity references in an input or output value, in order: ``(noun, id)``."""
    return [(kind.noun, ident) for kind, ident in references.parse_all(value)]


def input_refs(input: dict | None) -> list[tuple[str, int]]:
    for value in (input or {}).values():
        refs = refs_of(value)
        if refs:
            return refs
    return []


def _slot_names(project_id: int) -> dict[tuple[int, str], str]:
    names: dict[tuple[int, str], str] = {}
    for service_id, slots in SlotActivation.objects.filter(project_id=project_id).values_list("service_id", "slots"):
        for slot in slots or []:
            if isinstance(slot, dict) and slot.get("displayName"):
                names.setdefault((service_id, slot.get("functionName")), str(slot["displayName"]))
    return names


def _named(project_id: int, wanted: dict[str, set[int]]) -> dict[tuple[str, int], EntityName]:
    named: dict[tuple[str, int], EntityName] = {}
    base = f"/projects/{project_id}"
    ids = {noun: sorted(values)[:MAX_NAMED] for noun, values in wanted.items() if values}
    if ids.get("item"):
        for pk, name in Item.objects.filter(pk__in=ids["item"], dataset__project_id=project_id).values_list(
            "id", "name"
        ):
            named[("item", pk)] = EntityName(f"item “{name}”", f"{base}/items/{pk}/")
    if ids.get("annotation"):
        rows = Annotation.objects.filter(pk__in=ids["annotation"], item__dataset__project_id=project_id).values_list(
            "id", "type", "label", "item_id", "item__name"
        )
        for pk, kind, label, item_id, item_name in rows:
            named[("annotation", pk)] = EntityName(f"{kind} “{label}” on {item_name}", f"{base}/items/{item_id}/")
    if ids.get("task"):
        for pk, name in Task.objects.filter(pk__in=ids["task"], dataset__project_id=project_id).values_list(
            "id", "name"
        ):
            named[("task", pk)] = EntityName(f"task “{name}”", f"{base}/tasks/{pk}/")
    if ids.get("dataset"):
        for pk, name in Dataset.objects.filter(pk__in=ids["dataset"], project_id=project_id).values_list("id", "name"):
            named[("dataset", pk)] = EntityName(f"dataset “{name}”", f"{base}/datasets/{pk}/")
    return named


def labels_for(*, project_id: int, executions: list[dict]) -> Labels:
    """Labels for these executions (their API/event JSON), all of one project."""
    wanted: dict[str, set[int]] = {kind.noun: set() for kind in references.KINDS}
    for execution in executions:
        refs = input_refs(execution.get("input"))[:1] + refs_of(execution.get("output"))[:1]
        for noun, pk in refs:
            wanted[noun].add(pk)
    return Labels(slot_names=_slot_names(project_id), entities=_named(project_id, wanted))


def describe_refs(refs: list[tuple[str, int]], labels: Labels | None) -> tuple[str, str]:
    """("item “cat.png”", its URL) for one reference; ("3 items", "") for several."""
    if not refs:
        return "", ""
    if len(refs) > 1:
        nouns = {noun for noun, _ in refs}
        noun = nouns.pop() if len(nouns) == 1 else "entitie"
        return f"{len(refs)} {noun}s", ""
    named = labels.entity(refs[0]) if labels else None
    if named:
        return named.text, named.url
    noun, pk = refs[0]
    return f"{noun} {pk}", ""


def output_summary(output, labels: Labels | None) -> tuple[str, str]:
    """A short rendering of an execution's output and, for one entity, its URL ("" for none)."""
    if output is None:
        return "", ""
    refs = refs_of(output)
    if refs and (isinstance(output, dict) or all(refs_of(e) for e in output)):
        return describe_refs(refs, labels)
    text = json.dumps(output, ensure_ascii=False, separators=(", ", ": "))
    if len(text) > OUTPUT_SUMMARY_CHARS:
        text = text[: OUTPUT_SUMMARY_CHARS - 1] + "…"
    return text, ""
