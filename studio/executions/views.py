"""The executions pages and the drawer's rows (docs/studio.md). Views stay thin: reads
come from ``studio.executions.selectors``, rows from ``studio.executions.rows``."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from faas.enums import ExecutionStatus
from faas.representations import execution_json
from studio.applications.drawn import MAX_FETCHED, drawn_for
from studio.executions import downloads, rows, selectors
from workspace.selectors.projects import project_get_for_user


def _bad_request(text: str) -> HttpResponseBadRequest:
    # Plain text: a message may quote what the request said, never to be read as HTML.
    return HttpResponseBadRequest(text, content_type="text/plain; charset=utf-8")


@login_required
@require_GET
def executions_page(request, project_id: int):
    project = project_get_for_user(user=request.user, project_id=project_id)
    execution_filter = selectors.ExecutionFilter.from_params(request.GET)
    executions, next_cursor = selectors.executions_page(project=project, filter=execution_filter, cursor=None)
    context = {
        "project": project,
        "nav_section": "executions",
        "execution_filter": execution_filter,
        "filter_params": urlencode(execution_filter.params()),
        "statuses": [(s.value, rows.STATUS_LABELS[s.value]) for s in ExecutionStatus],
        "services": selectors.services_of(project=project),
        "rows": rows.rows_for(executions),
        "next_cursor": next_cursor,
        "live_view": "executions",  # its table follows live (rows.VIEWS)
    }
    return render(request, "studio/executions/executions.html", context)


@login_required
@require_GET
def execution_rows(request, project_id: int):
    """Rows as HTML: ``?ids=`` (just started) or the latest, for the drawer;
    ``?layout=table&cursor=`` for the executions page's next page; or
    ``?layout=live&view=&ids=`` for those executions in the layouts of the page's view,
    as its websocket sends them (a page's resync)."""
    project = project_get_for_user(user=request.user, project_id=project_id)
    if request.GET.get("layout") == "table":
        execution_filter = selectors.ExecutionFilter.from_params(request.GET)
        cursor = request.GET.get("cursor", "")
        executions, next_cursor = selectors.executions_page(
            project=project, filter=execution_filter, cursor=int(cursor) if cursor.isdigit() else None
        )
        context = {
            "project": project,
            "rows": rows.rows_for(executions),
            "next_cursor": next_cursor,
            "filter_params": urlencode(execution_filter.params()),
        }
        return render(request, "studio/executions/_execution_table_rows.html", context)
    ids = None
    if request.GET.get("ids"):
        try:
            ids = downloads.parse_ids(request.GET["ids"])
        except ValidationError as exc:
            return _bad_request(" ".join(exc.messages))
    if request.GET.get("layout") == "live" and ids:
        # A page that missed live messages re-reads the executions it shows, as its
        # websocket would have sent them (executions.js, resync).
        view = request.GET.get("view") or rows.DEFAULT_VIEW
        if view not in rows.VIEWS:
            return _bad_request(f"Unknown view '{view[:40]}': one of {', '.join(rows.VIEWS)}.")
        executions = selectors.executions_latest(project=project, ids=ids, size=len(ids))
        return HttpResponse(rows.render_views(rows.rows_for(executions), [view])[view])
    executions = selectors.executions_latest(project=project, ids=ids)
    return render(request, "studio/executions/execution_rows.html", {"rows": rows.rows_for(executions)})


@login_required
@require_GET
def execution_drawn(request, project_id: int, execution_id: int):
    """What a drawAnnotation post-action draws, for an execution that returned more
    annotations than its row carries (``studio.applications.drawn``)."""
    project = project_get_for_user(user=request.user, project_id=project_id)
    data = execution_json(selectors.execution_get(project=project, execution_id=execution_id))
    drawn = drawn_for(project_id=project.pk, executions=[data], limit=MAX_FETCHED, budget=None).get(data["id"])
    return JsonResponse(drawn or {"annotations": [], "overlays": {}})


@login_required
@require_GET
def execution_detail(request, project_id: int, execution_id: int):
    project = project_get_for_user(user=request.user, project_id=project_id)
    execution = selectors.execution_get(project=project, execution_id=execution_id)
    data = execution_json(execution)
    log_lines = selectors.execution_log_tail(execution=execution)
    context = {
        "project": project,
        "nav_section": "executions",
        "execution": execution,
        "row": rows.rows_of([data])[0],
        "service": execution.service,
        "input_json": json.dumps(data["input"], indent=2),
        "output_json": json.dumps(data["output"], indent=2),
        "log_lines": log_lines,
        "last_line_id": log_lines[-1]["id"] if log_lines else 0,
        "live_view": "execution",  # its summary and status log follow live (rows.VIEWS)
    }
    return render(request, "studio/executions/execution_detail.html", context)


@login_required
@require_GET
def executions_download(request, project_id: int):
    """The output items of ``?ids=`` as one zip (the ``download`` post-action for several).
    With ``check=1``: 204 when it would be sent, the same 400 when not, and no zip built
    (the page asks first, so that it can say why a download did not start)."""
    project = project_get_for_user(user=request.user, project_id=project_id)
    try:
        ids = downloads.parse_ids(request.GET.get("ids", ""))
    except ValidationError as exc:
        return _bad_request(" ".join(exc.messages))
    items = downloads.output_items(project=project, execution_ids=ids)
    if not items:
        return _bad_request("These executions returned no items.")
    try:
        downloads.check_zip(items)
    except ValidationError as exc:
        return _bad_request(" ".join(exc.messages))
    if request.GET.get("check"):
        return HttpResponse(status=204)
    return FileResponse(
        downloads.zip_of(items),
        as_attachment=True,
        filename=f"{project.name}-executions.zip",
        content_type="application/zip",
    )
