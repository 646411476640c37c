"""The dataset browser (docs/studio.md). Views stay thin: reads come from ``studio.browse.selectors``."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from studio.browse import selectors
from workspace.selectors.items import items_count

VIEWS = ("grid", "table")


def _browser_state(request, project_id: int, dataset_id: int) -> dict:
    """What the browser page and its fragments share: project, dataset, view and filter."""
    project, dataset = selectors.browser_context(user=request.user, project_id=project_id, dataset_id=dataset_id)
    view = request.GET.get("view") if request.GET.get("view") in VIEWS else "grid"
    browse_filter = selectors.BrowseFilter.from_params(request.GET)
    state = {
        "project": project,
        "dataset": dataset,
        "view": view,
        "browse_filter": browse_filter,
        "filter_error": "",
        "query": {},
        "mimetypes": selectors.MIMETYPES,
    }
    try:
        state["query"] = browse_filter.query()
        state["sort"] = selectors.parse_sort(request.GET.get("sort"))
    except selectors.FilterError as exc:
        state["filter_error"] = str(exc)
    state.setdefault("sort", "")
    params = browse_filter.params()
    if view == "table":
        params["view"] = "table"
    # Each column's header link sorts by it, ascending first, then the other way.
    aria_sort = {state["sort"].lstrip("-"): "descending" if state["sort"].startswith("-") else "ascending"}
    state["sort_columns"] = [
        {
            "key": key,
            "href": "?" + urlencode({**params, "sort": f"-{key}" if state["sort"] == key else key}),
            "aria_sort": aria_sort.get(key, "none"),
        }
        for key in selectors.SORTS
    ]
    if state["sort"]:
        params["sort"] = state["sort"]
    # The query string of the fragments and of the other view; the studio gets the DQL.
    state["filter_params"] = urlencode(browse_filter.params())
    state["items_params"] = urlencode(params)
    state["studio_params"] = urlencode({"filter": json.dumps(state["query"])}) if state["query"] else ""
    return state


def _items_context(state: dict, cursor: int | None) -> dict:
    page = selectors.item_page(dataset=state["dataset"], query=state["query"], cursor=cursor, sort=state["sort"])
    return {**state, "tiles": page.tiles, "next_cursor": page.next_cursor}


@login_required
@require_GET
def dataset_browser(request, project_id: int, dataset_id: int):
    state = _browser_state(request, project_id, dataset_id)
    status = 200
    if state["filter_error"]:
        # The page still renders, with the message where the filter is: a bad query is
        # the user's to fix, never a server error.
        context, status = {**state, "tiles": [], "next_cursor": None}, 400
    else:
        context = _items_context(state, None)
        # The total that matches: kept counters without a filter, the index with one (exact up
        # to items_count's limit); once per page view, not per fragment of infinite scroll.
        context["match_count"], context["match_exact"] = items_count(dataset=state["dataset"], filter=state["query"])
    context.update(
        nav_section="datasets",
        panel="table" if state["view"] == "table" else "browser",
        selection_filter=state["query"],
    )
    return render(request, "studio/browse/dataset.html", context, status=status)


@login_required
@require_GET
def dataset_items(request, project_id: int, dataset_id: int):
    """The next page of tiles (or table rows) for infinite scroll, after ``?cursor=``;
    or ``?ids=``: those items' tiles, if they match the filter (an upload adds them)."""
    state = _browser_state(request, project_id, dataset_id)
    if request.GET.get("ids") is not None and not state["filter_error"]:
        try:
            ids = selectors.parse_item_ids(request.GET["ids"])
        except selectors.FilterError as exc:
            return render(request, "studio/browse/_items_error.html", {**state, "filter_error": str(exc)}, status=400)
        tiles = selectors.tiles_by_ids(dataset=state["dataset"], query=state["query"], ids=ids)
        return render(request, "studio/browse/_items.html", {**state, "tiles": tiles, "next_cursor": None})
    try:
        cursor = selectors.parse_cursor(request.GET.get("cursor"))
    except selectors.FilterError as exc:
        state["filter_error"] = str(exc)
    if state["filter_error"]:
        return render(request, "studio/browse/_items_error.html", state, status=400)
    try:
        context = _items_context(state, cursor)
    except selectors.FilterError as exc:  # a sorted page's cursor row is gone
        return render(request, "studio/browse/_items_error.html", {**state, "filter_error": str(exc)}, status=400)
    return render(request, "studio/browse/_items.html", context)


@login_required
@require_GET
def item_overlay(request, project_id: int, dataset_id: int, item_id: int):
    """One thumbnail's annotation overlay, refreshed after a drawAnnotation post-action."""
    _, dataset = selectors.browser_context(user=request.user, project_id=project_id, dataset_id=dataset_id)
    tile = selectors.tile_get(dataset=dataset, item_id=item_id)
    return render(request, "studio/browse/_overlay.html", {"tile": tile})
