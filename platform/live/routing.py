from django.urls import path

from live.consumers import ExecutionLogsConsumer, ProjectConsumer
from studio.browse.consumers import StudioProjectConsumer

websocket_urlpatterns = [
    path("ws/projects/<int:project_id>/", ProjectConsumer.as_asgi()),
    path("ws/executions/<int:execution_id>/logs/", ExecutionLogsConsumer.as_asgi()),
    # The same events as HTML rows for the studio's pages (htmx websocket extension).
    path("ws/studio/projects/<int:project_id>/", StudioProjectConsumer.as_asgi()),
]
