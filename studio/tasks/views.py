"""The tasks browser and a task's page. Thin: reads come from ``studio.tasks.selectors``."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from studio.tasks import selectors


@login_required
def task_list(request, project_id: int):
    context = selectors.tasks_page(
        user=request.user,
        project_id=project_id,
        after=request.GET.get("after"),
        before=request.GET.get("before"),
        show=request.GET.get("show"),
    )
    return render(request, "studio/tasks/tasks.html", {**context, "nav_section": "tasks"})


@login_required
def task_detail(request, project_id: int, task_id: int):
    context = selectors.task_page(
        user=request.user,
        project_id=project_id,
        task_id=task_id,
        after=request.GET.get("after"),
        before=request.GET.get("before"),
    )
    return render(request, "studio/tasks/task_detail.html", {**context, "nav_section": "tasks"})
