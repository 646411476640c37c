"""ASGI entry point: HTTP through Django, websockets through Channels.

Run with the source root on the path: ``PYTHONPATH=platform:. daphne dataslot_server.asgi:application``.
The embedded dispatcher starts here, in the serving process (design.md §2).
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dataslot_server.settings")

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

# Static files (htmx, CSS) are served by the same process: nothing else to run.
django_asgi_app = ASGIStaticFilesHandler(get_asgi_application())

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
