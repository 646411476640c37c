"""What every response tells the browser about itself.

``NoStoreForSignedInPages``: pages shown to a signed-in user are not kept by the browser
(``Cache-Control: no-store``). A page in the back/forward or disk cache outlives its
session: after logging out, Back would show it again to whoever uses the browser next.
htmx's own history snapshots are turned off in ``templates/base.html`` for the same reason.

``ContentSecurityPolicy``: scripts only from this site's own files, never inline, never
``eval`` (htmx's is turned off in ``templates/base.html``), and no framing. A script
that a bug let into a page (an XSS) does not run. Inline styles stay allowed: the admin
and Swagger UI use them, and a style cannot run code.
"""

from django.core.exceptions import DisallowedHost
from django.utils.cache import add_never_cache_headers
from django.utils.deprecation import MiddlewareMixin


class NoStoreForSignedInPages(MiddlewareMixin):
    def process_response(self, request, response):
        # HTML only: images and downloads set their own caching.
        if response.get("Content-Type", "").startswith("text/html") and request.user.is_authenticated:
            add_never_cache_headers(response)
        return response


class ContentSecurityPolicy(MiddlewareMixin):
    POLICY = (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; connect-src 'self' {sockets}"
    )

    def process_response(self, request, response):
        if "Content-Security-Policy" not in response:
            try:
                host = request.get_host()
            except DisallowedHost:  # the response is that refusal
                host = ""
            # This site's websockets by name: not every browser counts them as 'self'.
            sockets = f"{'wss' if request.is_secure() else 'ws'}://{host}" if host else ""
            response["Content-Security-Policy"] = self.POLICY.format(sockets=sockets).rstrip()
        return response
