from django.urls import path, re_path

from live.consumers import ExecutionLogsConsumer, NotFoundConsumer, ProjectConsumer
from workspace import ids  # noqa: F401 - registers the <id:...> path converter

# The pages add their own (studio.routing); dataslot_server.asgi serves both.
websocket_urlpatterns = [
    path("ws/projects/<id:project_id>/", ProjectConsumer.as_asgi()),
    path("ws/executions/<id:execution_id>/logs/", ExecutionLogsConsumer.as_asgi()),
]

# Last of all routes, the pages' too (dataslot_server.asgi): any other path, or an id past
# the largest (its converter does not match), closes with 4404 instead of a 500.
not_found_urlpatterns = [re_path(r"", NotFoundConsumer.as_asgi(), name="websocket-not-found")]
