"""Websocket authentication by API token, beside Channels' session authentication.

Browsers send their session cookie; the SDK and replicas send
``Authorization: Token <key>`` (or ``?token=<key>``, for clients that cannot set headers).
"""

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from rest_framework.authtoken.models import Token


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
                key = value[6:].decode().strip()
        if key is None:
            key = (parse_qs(scope.get("query_string", b"").decode()).get("token") or [None])[0]
        if key:
            scope = dict(scope, user=await _user_for_token(key))
        return await self.app(scope, receive, send)


class BrowserOriginValidator(OriginValidator):
    """Checks the Origin of browser handshakes against ALLOWED_HOSTS.

    Browsers always send Origin on a websocket handshake, and that is where cross-site
    hijacking with a session cookie could come from. A client with no Origin is not a
    browser (the SDK, a script) and must authenticate with its token anyway.
    """

    def valid_origin(self, parsed_origin):
        return parsed_origin is None or super().valid_origin(parsed_origin)


def origin_validator(application):
    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:
        allowed = ["localhost", "127.0.0.1", "[::1]"]
    return BrowserOriginValidator(application, allowed)
