"""Websocket authentication by API token, beside Channels' session authentication.

Browsers send their session cookie; the SDK and replicas send
``Authorization: Token <key>`` (or ``?token=<key>``, for clients that cannot set headers).
A key that is not a key's shape (40 hex digits, as DRF makes them: people's and services'
bots' tokens alike) is an invalid token without a query: PostgreSQL fails a NUL in one.
"""

import re
from urllib.parse import parse_qs, urlparse

from channels.db import database_sync_to_async
from channels.security.websocket import OriginValidator, WebsocketDenier
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from rest_framework.authtoken.models import Token

TOKEN_AUTHENTICATED = "dataslot.token"  # in the scope: the key of the token that opened this socket
TOKEN_KEY = re.compile(r"[0-9a-f]{40}")


@database_sync_to_async
def _user_for_token(key: str):
    token = Token.objects.select_related("user").filter(key=key).first()
    # A deactivated user's token opens nothing, as in the API.
    return token.user if token is not None and token.user.is_active else AnonymousUser()


class TokenAuthMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        key = None
        for name, value in scope.get("headers", []):
            if name == b"authorization" and value.lower().startswith(b"token "):
                key = value[6:].decode("latin-1").strip()  # any bytes decode; a bad key fails the shape
        if key is None:
            key = (parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token") or [None])[0]
        if key:
            user = await _user_for_token(key) if TOKEN_KEY.fullmatch(key) else AnonymousUser()
            scope = dict(scope, user=user, **{TOKEN_AUTHENTICATED: key if user.is_authenticated else None})
        return await self.app(scope, receive, send)


class BrowserOriginValidator(OriginValidator):
    """Checks the Origin of browser handshakes: this very site, as Django's CSRF check does.

    Browsers always send Origin on a websocket handshake, and that is where cross-site
    hijacking with a session cookie could come from. Cookies are not kept apart by port,
    so the Origin must name the host and port the handshake was sent to (its Host header),
    with that host in ALLOWED_HOSTS, or be one of CSRF_TRUSTED_ORIGINS: another server on
    the same host name (a notebook, Flower) is another site. A client with no Origin is
    not a browser (the SDK, a script) and must authenticate with its token anyway.
    """

    async def __call__(self, scope, receive, send):
        headers = dict(scope.get("headers", []))
        origin = headers.get(b"origin")
        host = headers.get(b"host", b"").decode("latin-1").lower()
        if origin is None or self.same_site(urlparse(origin.decode("latin-1")), host):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)

    def same_site(self, origin, host: str) -> bool:
        if f"{origin.scheme}://{origin.netloc}".lower() in {o.lower() for o in settings.CSRF_TRUSTED_ORIGINS}:
            return True
        return origin.netloc.lower() == host and self.valid_origin(origin)


def origin_validator(application):
    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:
        allowed = ["localhost", "127.0.0.1", "[::1]"]
    return BrowserOriginValidator(application, allowed)
