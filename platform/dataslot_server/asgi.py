"""ASGI entry point: HTTP through Django, websockets through Channels.

Run with the source root on the path: ``PYTHONPATH=platform:. daphne dataslot_server.asgi:application``.
The embedded dispatcher starts here, in the serving process (design.md §2).
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dataslot_server.settings")

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402
from django.core.exceptions import SuspiciousOperation  # noqa: E402
from django.http import Http404  # noqa: E402


class StaticFiles(ASGIStaticFilesHandler):
    """Static files (htmx, CSS) served by the same process: nothing else to run.

    Files are looked up inside the static directories only (Django's finders join paths
    safely); a path that would leave them (``..``, however it was encoded), or that no
    file system can hold (NUL, a name too long), is a 404 like any missing file.
    """

    def serve(self, request):
        try:
            return super().serve(request)
        except (SuspiciousOperation, ValueError, OSError):
            raise Http404("No such static file.")


django_asgi_app = StaticFiles(get_asgi_application())

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from live.auth import TokenAuthMiddleware, origin_validator  # noqa: E402
from live.routing import websocket_urlpatterns  # noqa: E402
from runner.embedded import start_embedded_dispatcher  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": origin_validator(AuthMiddlewareStack(TokenAuthMiddleware(URLRouter(websocket_urlpatterns)))),
    }
)

start_embedded_dispatcher()
