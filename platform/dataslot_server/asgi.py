"""ASGI entry point: HTTP through Django, websockets through Channels.

Run with the source root on the path: ``PYTHONPATH=platform:. daphne dataslot_server.asgi:application``.
The embedded dispatcher starts here, in the serving process; in scale-out mode
(DATASLOT_EXECUTOR=celery) none does, and a configuration scale-out cannot run on is
refused with one line.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dataslot_server.settings")

import sys  # noqa: E402

import django  # noqa: E402
from django.core.exceptions import ImproperlyConfigured  # noqa: E402

try:
    django.setup(set_prefix=False)
    from dataslot_server.scaleout import configuration_problem

    problem = configuration_problem()
except ImproperlyConfigured as exc:
    problem = str(exc)
if problem:
    # One clear line, not a traceback (scale-out refuses SQLite, the in-memory layer, missing keys).
    print(f"dataslot: {problem}", file=sys.stderr)
    raise SystemExit(1)

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402
from django.core.exceptions import SuspiciousOperation  # noqa: E402
from django.http import Http404  # noqa: E402

from dataslot_server.handlers import OneHopHandler  # noqa: E402


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


django_asgi_app = StaticFiles(OneHopHandler())

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from live import routing as live_routing  # noqa: E402
from live.auth import TokenAuthMiddleware, origin_validator  # noqa: E402
from runner.embedded import start_embedded_dispatcher  # noqa: E402
from studio import routing as studio_routing  # noqa: E402

# The backend's websockets and the pages' (their HTML rows), composed here at the top; last,
# any other path (or an id no key can hold) closes with 4404 instead of failing the router.
websocket_urlpatterns = (
    live_routing.websocket_urlpatterns + studio_routing.websocket_urlpatterns + live_routing.not_found_urlpatterns
)

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": origin_validator(AuthMiddlewareStack(TokenAuthMiddleware(URLRouter(websocket_urlpatterns)))),
    }
)

start_embedded_dispatcher()
