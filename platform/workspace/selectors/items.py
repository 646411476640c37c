"""Reads of items. The list is the hot path: one indexed query per page, no joins."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet, Sum
from django.http import Http404

from workspace import dql
from workspace.models import Dataset, Item, ItemBlock
from workspace.selectors.projects import check_role

# What a listed item's JSON needs; the file columns are not read for a page.
ITEM_LIST_FIELDS = (
    "id",
    "dataset_id",
    "name",
    "dir",
    "type",
    "hidden",
    "width",
    "height",
    "size",
    "metadata",
    "created_at",
)


def items_list(*, dataset: Dataset, filter: dict | None = None) -> QuerySet[Item]:
    """The dataset's items in id order, optionally narrowed by a DQL query (raises ``dql.QueryError``)."""
    items = Item.objects.filter(dataset_id=dataset.pk).only(*ITEM_LIST_FIELDS).order_by("id")
    if filter:
        items = dql.filter_queryset("item", items, filter)
    return items


# A count with a filter is exact up to this many items; above it the answer is "more than"
# (as Elasticsearch's default total): counting a million matches would cost what the page
# does not, and 10,000 index entries cost as much at 10,000 items as at a million.
COUNT_LIMIT = 10_000
# A jump to page N with a filter skips at most this many matching items (without one, any page).
FILTERED_JUMP_LIMIT = 10_000


class JumpTooFar(Exception):
    """A jump with a filter past ``FILTERED_JUMP_LIMIT``; the message names the limit."""


def dataset_items_total(*, dataset_id: int) -> int:
    """A dataset's number of items: a sum of its block counters (kept by triggers), never a COUNT."""
    return ItemBlock.objects.filter(dataset_id=dataset_id).aggregate(n=Sum("items"))["n"] or 0


def items_count(*, dataset: Dataset, filter: dict | None = None, limit: int = COUNT_LIMIT) -> tuple[int, bool]:
    """How many of the dataset's items match, and whether that is exact: an exact count up to
    ``limit``, else ``(limit, False)``, meaning "more than ``limit``" (raises ``dql.QueryError``)."""
    if not filter:
        return dataset_items_total(dataset_id=dataset.pk), True
    counted = dql.count_items(filter, dataset_id=dataset.pk, limit=limit + 1)
    if counted is None:
        with dql.driving_every_set():  # a count reads every match: each set is read once, whole
            counted = items_list(dataset=dataset, filter=filter).values("pk")[: limit + 1].count()
    return (limit, False) if counted > limit else (counted, True)


def items_page_anchor(*, dataset: Dataset, filter: dict | None, skip: int) -> int | None:
    """The id after which the item at position ``skip`` (0-based) starts, so that page N is
    a keyset page (``id > anchor``); None for the first. Past the end: the last id (an empty page).

    Without a filter the position is found in the dataset's block counters (a few hundred
    rows at a million items) and at most one block's index entries; with one, matching items
    are skipped, at most ``FILTERED_JUMP_LIMIT`` (else ``JumpTooFar``, naming it).
    """
    if skip <= 0:
        return None
    ids = Item.objects.filter(dataset_id=dataset.pk).order_by("id").values_list("id", flat=True)
    if filter:
        if skip > FILTERED_JUMP_LIMIT:
            raise JumpTooFar(
                f"with a filter, a jump skips at most {FILTERED_JUMP_LIMIT} items; follow 'next' or use 'after_id'"
            )
        found = list(items_list(dataset=dataset, filter=filter).values_list("id", flat=True)[skip - 1 : skip])
    else:
        found, before = [], 0
        blocks = ItemBlock.objects.filter(dataset_id=dataset.pk, items__gt=0).order_by("block")
        for block, count in blocks.values_list("block", "items"):
            if before + count >= skip:
                offset = skip - before - 1
                found = list(ids.filter(id__gte=block * ItemBlock.BLOCK)[offset : offset + 1])
                break
            before += count
    if found:
        return found[0]
    return ids.reverse().first() or 0


def item_get_for_user(*, user, item_id, roles: Iterable[str] | None = None) -> Item:
    """An item of one of the user's projects (404 otherwise), with its dataset loaded."""
    try:
        item = Item.objects.select_related("dataset").get(pk=int(item_id))
    except (Item.DoesNotExist, TypeError, ValueError):
        raise Http404("No such item.")
    item.role = check_role(user=user, project_id=item.dataset.project_id, roles=roles)
    return item
