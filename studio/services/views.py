"""The services pages (docs/studio.md, "Service page"): a project's services, and one
service's state, replicas, queue, recent executions, activity charts and log, kept live by
htmx polling ``live/``. Reads come from ``studio.services.selectors``; pause and resume
call ``faas.services``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import select_template
from django.views.decorators.http import require_GET, require_POST

from faas.errors import Conflict
from faas.services import services as service_services
from studio.executions import rows
from studio.services import charts, selectors
from workspace.selectors.projects import WRITERS, project_get_for_user

# Another feature (the service's triggers) drops this template in to show on the page.
TRIGGERS_TEMPLATE = "studio/services/service_triggers.html"
POLL_SECONDS = 5
# htmx stops polling on this status (and still swaps the answer in).
STOP_POLLING = 286


def _triggers_template():
    try:
        return select_template([TRIGGERS_TEMPLATE])
    except TemplateDoesNotExist:
        return None


def _live_context(request, project, service) -> dict:
    window = selectors.window_from(request.GET.get("window"))
    activity = selectors.activity(service=service, window=window)
    executions = selectors.recent_executions(service=service)
    queued, running = selectors.queue_counts(service_ids=[service.pk]).get(service.pk, (0, 0))
    return {
        "project": project,
        "service": service,
        "can_control": project.role in WRITERS,
        "window": window,
        "windows": selectors.WINDOWS.values(),
        "queued": queued,
        "running": running,
        "replicas": selectors.replicas_of(service=service),
        "executions_chart": charts.executions_chart(activity),
        "durations_chart": charts.durations_chart(activity),
        "rows": rows.rows_for(executions),
        "log_lines": selectors.log_tail(service=service),
        "output_chunks": selectors.output_tail(executions=executions),
        "poll_seconds": POLL_SECONDS,
    }


def _gone(request, project, service_id: int, *, status: int):
    return render(
        request,
        "studio/services/_gone.html" if request.headers.get("HX-Request") else "studio/services/gone.html",
        {"project": project, "service_id": service_id, "nav_section": "services"},
        status=status,
    )


def _service_or_gone(request, project, service_id: int, *, polled_stops: bool):
    """The project's service and no answer, or no service and the page that says it is gone.

    With ``polled_stops``, htmx (the page's poll and its buttons) gets 286: it swaps the message
    in and stops polling; any other request a plain 404, as every missing object."""
    try:
        return selectors.service_get(project=project, service_id=service_id), None
    except selectors.ServiceGone:
        polled = polled_stops and request.headers.get("HX-Request") == "true"
        return None, _gone(request, project, service_id, status=STOP_POLLING if polled else 404)


@login_required
@require_GET
def services_page(request, project_id: int):
    project = project_get_for_user(user=request.user, project_id=project_id)
    context = {"project": project, "nav_section": "services", "services": selectors.services_of(project=project)}
    return render(request, "studio/services/services.html", context)


@login_required
@require_GET
def service_page(request, project_id: int, service_id: int):
    project = project_get_for_user(user=request.user, project_id=project_id)
    service, gone = _service_or_gone(request, project, service_id, polled_stops=False)
    if gone:
        return gone
    context = _live_context(request, project, service)
    context.update(nav_section="services", triggers_template=_triggers_template())
    return render(request, "studio/services/service.html", context)


@login_required
@require_GET
def service_live(request, project_id: int, service_id: int):
    """The page's live part, polled every few seconds (htmx)."""
    project = project_get_for_user(user=request.user, project_id=project_id)
    service, gone = _service_or_gone(request, project, service_id, polled_stops=True)
    if gone:
        return gone
    return render(request, "studio/services/_live.html", _live_context(request, project, service))


def _control(request, project_id: int, service_id: int, action):
    project = project_get_for_user(user=request.user, project_id=project_id, roles=WRITERS)
    service, gone = _service_or_gone(request, project, service_id, polled_stops=True)
    if gone:
        return gone
    try:
        service = action(service=service)
    except Conflict as exc:
        return HttpResponse(str(exc), status=409, content_type="text/plain; charset=utf-8")
    if request.headers.get("HX-Request"):
        return render(request, "studio/services/_live.html", _live_context(request, project, service))
    return redirect(f"/projects/{project.pk}/services/{service.pk}/")


@login_required
@require_POST
def service_pause(request, project_id: int, service_id: int):
    return _control(request, project_id, service_id, service_services.service_pause)


@login_required
@require_POST
def service_resume(request, project_id: int, service_id: int):
    return _control(request, project_id, service_id, service_services.service_resume)
