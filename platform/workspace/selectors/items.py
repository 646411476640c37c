"""Reads of items. The list is the hot path: one indexed query per page, no joins."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from django.http import Http404

from workspace import dql
from workspace.models import Dataset, Item
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


def item_get_for_user(*, user, item_id, roles: Iterable[str] | None = None) -> Item:
    """An item of one of the user's projects (404 otherwise), with its dataset loaded."""
    try:
        item = Item.objects.select_related("dataset").get(pk=int(item_id))
    except (Item.DoesNotExist, TypeError, ValueError):
        raise Http404("No such item.")
    item.role = check_role(user=user, project_id=item.dataset.project_id, roles=roles)
    return item
