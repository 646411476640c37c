"""The pages' websocket: the same execution events as HTML rows (htmx's websocket extension).

Composed with ``live.routing`` by the project's ASGI application (``dataslot_server.asgi``),
so the backend's routes never name the pages.
"""

from django.urls import path

from studio.executions.consumers import StudioProjectConsumer
from workspace import ids  # noqa: F401 - registers the <id:...> path converter

websocket_urlpatterns = [
    path("ws/studio/projects/<id:project_id>/", StudioProjectConsumer.as_asgi()),
]
