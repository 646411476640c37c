"""The annotation studio. Thin: reads come from ``studio.annotate.selectors``, the task it
was opened from (``?task=``) from ``studio.tasks.task_work``."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from studio.annotate import selectors
from studio.tasks.task_work import task_work_get


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
        {**context, "studio_config": config, "nav_section": "datasets"},
    )
