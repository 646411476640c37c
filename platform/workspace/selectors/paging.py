"""Keyset pages over ids, for every list that pages: never an OFFSET or a COUNT, so a page
costs the same at row 10 and at row 1,000,000 (the API's cursors, workspace.api.pagination,
are DRF's encoding of the same idea)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet


@dataclass
class KeysetPage:
    rows: list
    previous_before: int | None = None  # the cursor of the previous page (``before=``), if there is one
    next_after: int | None = None  # the cursor of the next page (``after=``), if there is one


def first_rows(queryset: QuerySet, size: int) -> tuple[list, bool]:
    """The first ``size`` rows of ``queryset`` in its order, and whether more follow:
    one row more is read instead of a COUNT."""
    rows = list(queryset[: size + 1])
    return rows[:size], len(rows) > size


def _cursor(value) -> int | None:
    """A cursor from a query string: an id, or None for anything else."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def keyset_page(
    queryset: QuerySet,
    *,
    after=None,
    before=None,
    size: int,
    newest_first: bool = False,
    restart_when_empty: bool = False,
) -> KeysetPage:
    """One page of ``queryset`` in id order (``newest_first``: descending): the ``size`` rows
    that come after the id ``after`` in that order, or before the id ``before``.

    ``restart_when_empty``: a cursor past either end (a stale link) gives the first page
    rather than an empty one, for pages a person follows by links.
    """
    after, before = _cursor(after), _cursor(before)
    page = _page(queryset, after=after, before=before, size=size, newest_first=newest_first)
    if restart_when_empty and not page.rows and (after is not None or before is not None):
        return _page(queryset, after=None, before=None, size=size, newest_first=newest_first)
    return page


def _page(queryset: QuerySet, *, after, before, size: int, newest_first: bool) -> KeysetPage:
    forward, backward = ("pk__lt", "pk__gt") if newest_first else ("pk__gt", "pk__lt")
    order = "-pk" if newest_first else "pk"
    if before is not None:
        rows, more_before = first_rows(queryset.filter(**{backward: before}).order_by(_reverse(order)), size)
        rows = rows[::-1]
        page = KeysetPage(rows=rows)
        if rows and more_before:
            page.previous_before = rows[0].pk
        if rows and queryset.filter(**{forward: rows[-1].pk}).exists():
            page.next_after = rows[-1].pk
        return page
    if after is not None:
        queryset = queryset.filter(**{forward: after})
    rows, more = first_rows(queryset.order_by(order), size)
    page = KeysetPage(rows=rows, next_after=rows[-1].pk if rows and more else None)
    if after is not None and rows:
        page.previous_before = rows[0].pk
    return page


def _reverse(order: str) -> str:
    return order[1:] if order.startswith("-") else f"-{order}"
