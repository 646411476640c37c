"""The tasks browser and a task's page (docs/studio.md), included at the site root."""

from django.urls import path

from studio.tasks import views
from workspace import ids  # noqa: F401 - registers the <id:...> path converter

urlpatterns = [
    path("projects/<id:project_id>/tasks/", views.task_list, name="task-list"),
    path("projects/<id:project_id>/tasks/<id:task_id>/", views.task_detail, name="task-detail"),
]
