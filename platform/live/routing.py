from django.urls import path

from live.consumers import ExecutionLogsConsumer, ProjectConsumer

websocket_urlpatterns = [
    path("ws/projects/<int:project_id>/", ProjectConsumer.as_asgi()),
    path("ws/executions/<int:execution_id>/logs/", ExecutionLogsConsumer.as_asgi()),
]
