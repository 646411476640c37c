"""The server's static files are its static directories' files, and nothing else.

Asked over real HTTP of the real server (daphne decodes the path before Django sees it),
a path that climbs out of the static root, however it is encoded, or that holds a NUL or
is too long for a file name, is a 404 (or the HTTP layer's own 4xx), never a 500 and
never a byte of the file it names.
"""

from __future__ import annotations

import http.client

import pytest

from tests.support.live import ROOT

pytestmark = pytest.mark.server

SECRETS = ["secret.key", "manage.py", "platform/dataslot_server/settings.py", "etc/passwd"]
CLIMBS = ["../", "%2e%2e/", "%2E%2E%2F", "..%2f", "%2e%2e%5c", "..\\", ".%2e/", "%252e%252e/", "%c0%ae%c0%ae/"]


def _get(server, raw_path: str) -> tuple[int, bytes]:
    """GET with the path sent byte for byte as given (no client-side normalising)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.putrequest("GET", raw_path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_a_real_static_file_is_served(live_server_proc):
    status, body = _get(live_server_proc, "/static/css/dataslot.css")
    assert status == 200
    assert body == (ROOT / "static/css/dataslot.css").read_bytes()


@pytest.mark.parametrize("climb", CLIMBS)
def test_a_path_climbing_out_of_the_static_root_is_a_404_and_serves_nothing(live_server_proc, climb):
    settings_text = (ROOT / "platform/dataslot_server/settings.py").read_bytes()
    for target in SECRETS:
        for depth in (1, 2, 3, 6):
            status, body = _get(live_server_proc, "/static/" + climb * depth + target)
            assert status == 404, (climb, depth, target, status)
            assert b"SECRET_KEY" not in body and settings_text[:200] not in body
    status, _ = _get(live_server_proc, "/static/css/" + climb * 2 + "manage.py")
    assert status == 404


@pytest.mark.parametrize(
    "path",
    [
        "/static//etc/passwd",
        "/static/%2fetc%2fpasswd",
        "/static/css/dataslot.css%00.png",
        "/static/%00",
        "/static/a%00b/../../secret.key",
        "/static/" + "a" * 300,
        "/static/" + "a/" * 2000 + "x.css",
        "/static/" + "%2e%2e/" * 1500 + "secret.key",
        "/static/%ff%fe.css",
        "/static/",
        "/static",
    ],
    ids=lambda p: p[:40],
)
def test_odd_static_paths_are_refused_cleanly(live_server_proc, path):
    status, body = _get(live_server_proc, path)
    assert 400 <= status < 500, (path[:80], status)
    assert b"root:" not in body


def test_a_path_longer_than_a_request_line_may_be_is_refused_and_the_server_goes_on(live_server_proc):
    # Twisted drops a request line past 16 KiB before any application sees it.
    try:
        status, _ = _get(live_server_proc, "/static/" + "a" * 20000)
    except (http.client.RemoteDisconnected, ConnectionResetError):
        status = None
    assert status is None or 400 <= status < 500
    assert _get(live_server_proc, "/static/css/dataslot.css")[0] == 200
