"""The annotation studio and the tasks browser (docs/studio.md), included at the site root."""

from django.urls import path

from studio.annotate import views

urlpatterns = [
    path("projects/<int:project_id>/items/<int:item_id>/", views.annotation_studio, name="annotation-studio"),
    path("projects/<int:project_id>/tasks/", views.task_list, name="task-list"),
    path("projects/<int:project_id>/tasks/<int:task_id>/", views.task_detail, name="task-detail"),
]
