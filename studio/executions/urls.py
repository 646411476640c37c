"""The executions pages and the drawer's rows (included at the site root, app ``studio``)."""

from django.urls import path

from studio.executions import views
from workspace import ids  # noqa: F401 - registers the <id:...> path converter

urlpatterns = [
    path("projects/<id:project_id>/executions/", views.executions_page, name="executions"),
    path("projects/<id:project_id>/executions/rows/", views.execution_rows, name="execution-rows"),
    path("projects/<id:project_id>/executions/download/", views.executions_download, name="executions-download"),
    path("projects/<id:project_id>/executions/<id:execution_id>/", views.execution_detail, name="execution-detail"),
    path("projects/<id:project_id>/executions/<id:execution_id>/drawn/", views.execution_drawn, name="execution-drawn"),
]
