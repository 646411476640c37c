"""The HTTP client: one keep-alive session, token auth, errors mapped to exceptions.

A module-level default client is what ``dl.projects`` and every entity use unless told
otherwise. It reads ``DATASLOT_URL`` and ``DATASLOT_TOKEN`` from the environment when it
is first used, which is how code running inside a replica is connected.
"""

from __future__ import annotations

import json
import os
from urllib.parse import urljoin

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from dataslot import exceptions

DEFAULT_URL = "http://127.0.0.1:8000"
# Connect fast or fail: an unreachable server is one clear error, not a long hang.
CONNECT_TIMEOUT = 10
READ_TIMEOUT = 300


class ApiClient:
    def __init__(self, url: str | None = None, token: str | None = None):
        self._url = url
        self._token = token
        self._env_read = url is not None or token is not None
        self.session = requests.Session()
        # A refused connection fails at once (no retry storm). An idempotent request whose
        # kept-alive socket the server had closed is sent once more; a POST never is, so
        # an execution is never created twice.
        retry = Retry(total=1, connect=0, read=1, status=0, redirect=0, other=0, backoff_factor=0)
        adapter = HTTPAdapter(max_retries=retry, pool_connections=4, pool_maxsize=16)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["Accept"] = "application/json"

    # -- configuration -------------------------------------------------------------

    def _read_env(self) -> None:
        if not self._env_read:
            self._env_read = True
            self._url = self._url or os.environ.get("DATASLOT_URL")
            self._token = self._token or os.environ.get("DATASLOT_TOKEN")

    @property
    def url(self) -> str:
        self._read_env()
        return (self._url or DEFAULT_URL).rstrip("/")

    @url.setter
    def url(self, value: str) -> None:
        self._read_env()
        self._url = value.rstrip("/")

    @property
    def token(self) -> str | None:
        self._read_env()
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        self._read_env()
        self._token = value

    def login(self, username: str, password: str) -> str:
        body = self.request(
            "POST", "/api/auth/token/", json={"username": username, "password": password}, auth=False
        ).json()
        self.token = body["token"]
        return self.token

    # -- requests ------------------------------------------------------------------

    def absolute(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return urljoin(self.url + "/", path.lstrip("/"))

    def request(
        self, method: str, path: str, *, auth: bool = True, stream: bool = False, timeout=None, **kwargs
    ) -> requests.Response:
        headers = kwargs.pop("headers", None) or {}
        if auth and self.token:
            headers["Authorization"] = f"Token {self.token}"
        url = self.absolute(path)
        try:
            response = self.session.request(
                method,
                url,
                headers=headers,
                stream=stream,
                timeout=timeout or (CONNECT_TIMEOUT, READ_TIMEOUT),
                **kwargs,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise exceptions.ConnectionError(
                f"Cannot reach the Dataslot server at {self.url}: {_reason(exc)}", method=method, url=url
            ) from None
        if response.status_code >= 400:
            raise exceptions.from_response(response)
        return response

    def call(self, method: str, path: str, **kwargs):
        """A request whose answer is JSON (or nothing, for 204)."""
        response = self.request(method, path, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def get(self, path: str, params: dict | None = None):
        return self.call("GET", path, params=params)

    def post(self, path: str, json_body=None, **kwargs):
        return self.call("POST", path, json=json_body, **kwargs)

    def patch(self, path: str, json_body=None, **kwargs):
        return self.call("PATCH", path, json=json_body, **kwargs)

    def delete(self, path: str) -> None:
        self.call("DELETE", path)

    def iter_pages(self, path: str, params: dict | None = None):
        """Raw result lists of a cursor-paginated list, following ``next`` until it is null.

        A list endpoint that answers a plain JSON array is one page.
        """
        url, query = path, dict(params or {})
        while url:
            body = self.call("GET", url, params=query)
            if isinstance(body, list):
                yield body
                return
            yield body.get("results") or []
            url, query = body.get("next"), None  # ``next`` already carries the query


def dumps(value) -> str:
    """Compact JSON for query strings and multipart text fields."""
    return json.dumps(value, separators=(",", ":"), default=_default)


def _default(value):
    if hasattr(value, "to_json"):
        return value.to_json()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _reason(exc: Exception) -> str:
    # urllib3 wraps the socket error several levels deep; the innermost says what happened.
    inner = exc
    while inner.__context__ is not None or inner.__cause__ is not None:
        inner = inner.__cause__ or inner.__context__
    text = str(inner) or type(inner).__name__
    if "Connection refused" in text or isinstance(inner, ConnectionRefusedError):
        return "connection refused"
    return text.split(": ", 1)[-1] if "object at 0x" in text else text


_default_client = ApiClient()


def default_client() -> ApiClient:
    return _default_client


def setenv(url: str) -> None:
    """Point the default client at a server, e.g. ``dl.setenv("http://127.0.0.1:8000")``."""
    _default_client.url = url


def login(username: str, password: str) -> str:
    """Exchange a username and password for an API token, kept by the default client."""
    return _default_client.login(username, password)


def login_token(token: str) -> None:
    """Use an API token (from the web UI, or ``POST /api/auth/token/``)."""
    _default_client.token = token


def logout() -> None:
    _default_client.token = None
