"""The annotation studio (docs/studio.md), included at the site root."""

from django.urls import path

from studio.annotate import views
from workspace import ids  # noqa: F401 - registers the <id:...> path converter

urlpatterns = [
    path("projects/<id:project_id>/items/<id:item_id>/", views.annotation_studio, name="annotation-studio"),
]
