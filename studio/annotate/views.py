"""The annotation studio and the tasks browser. Thin: reads come from ``studio.annotate.selectors``."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template

from studio.annotate import selectors
from studio.annotate.task_work import task_work_get

APPLICATIONS_TEMPLATE = "studio/partials/applications.html"


def _has_applications() -> bool:
    # The Applications component is built by studio/browse; a page still renders without it.
    try:
        get_template(APPLICATIONS_TEMPLATE)
    except TemplateDoesNotExist:
        return False
    return True


@login_required
def annotation_studio(request, project_id: int, item_id: int):
    context = selectors.studio_context(
        user=request.user, project_id=project_id, item_id=item_id, filter_text=request.GET.get("filter")
    )
    item = context["item"]
    if request.GET.get("task"):
        # Opened from a task: previous/next walk the task's items instead of the dataset's.
        work, task_warning = task_work_get(
            user=request.user, project=context["project"], item=item, task_id=request.GET["task"]
        )
        context.update(task_work=work, task_warning=task_warning)
        if work:
            context.update(previous_id=work.previous_id, next_id=work.next_id, filter=None, filter_query="")
    # What static/js/annotate.js needs, passed with json_script (never inlined into JS).
    config = {
        "projectId": context["project"].pk,
        "datasetId": item.dataset_id,
        "itemId": item.pk,
        "width": item.width,
        "height": item.height,
    }
    return render(
        request,
        "studio/annotate/studio.html",
        {**context, "studio_config": config, "nav_section": "datasets", "has_applications": _has_applications()},
    )


@login_required
def task_list(request, project_id: int):
    context = selectors.tasks_page(
        user=request.user,
        project_id=project_id,
        after=request.GET.get("after"),
        before=request.GET.get("before"),
        show=request.GET.get("show"),
    )
    return render(
        request,
        "studio/annotate/tasks.html",
        {**context, "nav_section": "tasks", "has_applications": _has_applications()},
    )


@login_required
def task_detail(request, project_id: int, task_id: int):
    context = selectors.task_page(
        user=request.user,
        project_id=project_id,
        task_id=task_id,
        after=request.GET.get("after"),
        before=request.GET.get("before"),
    )
    return render(request, "studio/annotate/task_detail.html", {**context, "nav_section": "tasks"})
