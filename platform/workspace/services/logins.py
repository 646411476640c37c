"""The log-in throttle, shared by the log-in page (studio.views) and the API's token
endpoint (workspace.api.auth): failed log-ins are counted per username and per client
address in Django's cache, which with REDIS_URL is Redis, so every web process sees the
same counts. Past DATASLOT_LOGIN_FAILURES within DATASLOT_LOGIN_LOCKOUT_SECONDS, that
username or address is refused, even with the right password, until the lockout ends."""

import hashlib
import math

from django.conf import settings
from django.core.cache import cache


def _client_address(request) -> str:
    # Behind the TLS proxy (DATASLOT_HTTPS) every request comes from the proxy; the client is
    # the entry it appended last to X-Forwarded-For, the one a client cannot write.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "") if settings.DATASLOT_HTTPS else ""
    return forwarded.rsplit(",", 1)[-1].strip() or request.META.get("REMOTE_ADDR", "")


def _failure_keys(*, request, username: str) -> list[str]:
    user = hashlib.sha256(username.casefold().encode()).hexdigest()[:32]  # any text, a fixed-size key
    return [f"login-failures:user:{user}", f"login-failures:address:{_client_address(request)}"]


def login_refused(*, request, username: str) -> bool:
    """Whether this username or this client address has failed too often lately."""
    limit = settings.DATASLOT_LOGIN_FAILURES
    counts = cache.get_many(_failure_keys(request=request, username=username))
    return limit > 0 and any(count >= limit for count in counts.values())


def login_failed(*, request, username: str) -> None:
    """Count a failed login. Failures count for DATASLOT_LOGIN_LOCKOUT_SECONDS after the
    first; the one that reaches the limit starts that long again: that is the lockout."""
    seconds = settings.DATASLOT_LOGIN_LOCKOUT_SECONDS
    for key in _failure_keys(request=request, username=username):
        cache.add(key, 0, seconds)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            count = 1
            cache.set(key, count, seconds)
        if count == settings.DATASLOT_LOGIN_FAILURES:
            cache.touch(key, seconds)


def lockout_message() -> str:
    minutes = max(1, math.ceil(settings.DATASLOT_LOGIN_LOCKOUT_SECONDS / 60))
    return (
        "Too many failed log-in attempts for this username or from this address. "
        f"Try again in {minutes} minute{'' if minutes == 1 else 's'}."
    )
