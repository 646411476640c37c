from django.urls import path

from live.consumers import ExecutionLogsConsumer, ProjectConsumer
from workspace import ids  # noqa: F401 - registers the <id:...> path converter

# The pages add their own (studio.routing); dataslot_server.asgi serves both.
websocket_urlpatterns = [
    path("ws/projects/<id:project_id>/", ProjectConsumer.as_asgi()),
    path("ws/executions/<id:execution_id>/logs/", ExecutionLogsConsumer.as_asgi()),
]
