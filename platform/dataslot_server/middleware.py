"""Pages shown to a signed-in user are not kept by the browser (``Cache-Control: no-store``).

A page in the back/forward or disk cache outlives its session: after logging out, Back
would show it again to whoever uses the browser next. htmx's own history snapshots are
turned off in ``templates/base.html`` for the same reason.
"""

from django.utils.cache import add_never_cache_headers
from django.utils.deprecation import MiddlewareMixin


class NoStoreForSignedInPages(MiddlewareMixin):
    def process_response(self, request, response):
        # HTML only: images and downloads set their own caching.
        if response.get("Content-Type", "").startswith("text/html") and request.user.is_authenticated:
            add_never_cache_headers(response)
        return response
