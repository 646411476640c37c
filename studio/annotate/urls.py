"""The annotation studio and the tasks browser (docs/studio.md), included at the site root."""

from django.urls import path

from studio.annotate import views
from workspace import ids  # noqa: F401 - registers the <id:...> path converter

urlpatterns = [
    path("projects/<id:project_id>/items/<id:item_id>/", views.annotation_studio, name="annotation-studio"),
    path("projects/<id:project_id>/tasks/", views.task_list, name="task-list"),
    path("projects/<id:project_id>/tasks/<id:task_id>/", views.task_detail, name="task-detail"),
]
