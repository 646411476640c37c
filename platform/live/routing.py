from django.urls import path

from live.consumers import ExecutionLogsConsumer, ProjectConsumer
from studio.browse.consumers import StudioProjectConsumer
from workspace import ids  # noqa: F401 - registers the <id:...> path converter

websocket_urlpatterns = [
    path("ws/projects/<id:project_id>/", ProjectConsumer.as_asgi()),
    path("ws/executions/<id:execution_id>/logs/", ExecutionLogsConsumer.as_asgi()),
    # The same events as HTML rows for the studio's pages (htmx websocket extension).
    path("ws/studio/projects/<id:project_id>/", StudioProjectConsumer.as_asgi()),
]
