"""HTTP errors become dl.exceptions with the server's message; an unreachable server is
one clear error naming the URL."""

import pytest

import dataslot as dl

CASES = [
    (
        400,
        dl.exceptions.BadRequest,
        {
            "detail": "executionTimeout: must be a whole number of seconds",
            "executionTimeout": ["must be a whole number of seconds"],
        },
    ),
    (401, dl.exceptions.Unauthorized, {"detail": "Authentication credentials were not provided."}),
    (403, dl.exceptions.Forbidden, {"detail": "Your role does not allow this."}),
    (404, dl.exceptions.NotFound, {"detail": "No Service matches the given query."}),
    (409, dl.exceptions.Conflict, {"detail": "The service is paused."}),
    (500, dl.exceptions.InternalError, {"detail": "Server Error"}),
    (503, dl.exceptions.InternalError, {"detail": "Unavailable"}),
]


@pytest.mark.parametrize(("status", "cls", "body"), CASES, ids=[str(c[0]) for c in CASES])
def test_status_maps_to_exception_with_server_message(fake_server, fake_client, status, cls, body):
    fake_server.route("GET", "/api/thing/", (status, body))
    with pytest.raises(cls) as caught:
        fake_client.get("/api/thing/")
    error = caught.value
    assert isinstance(error, dl.exceptions.DataslotError)
    assert error.status_code == status
    assert body["detail"] in str(error)
    assert str(status) in str(error)


def test_field_messages_are_in_the_message(fake_server, fake_client):
    body = {
        "detail": "name: This field is required.",
        "name": ["This field is required."],
        "packageId": ["Invalid pk."],
    }
    fake_server.route("POST", "/api/x/", (400, body))
    with pytest.raises(dl.exceptions.BadRequest) as caught:
        fake_client.post("/api/x/", {})
    text = str(caught.value)
    assert "name: This field is required." in text
    assert "packageId: Invalid pk." in text
    assert text.count("This field is required.") == 1
    assert caught.value.errors["packageId"] == ["Invalid pk."]


def test_detail_as_a_list_and_non_json_bodies(fake_server, fake_client):
    fake_server.route("GET", "/api/list/", (400, {"detail": ["first", "second"]}))
    fake_server.route("GET", "/api/html/", (502, b"<html>bad gateway</html>"))
    with pytest.raises(dl.exceptions.BadRequest, match="first; second"):
        fake_client.get("/api/list/")
    with pytest.raises(dl.exceptions.InternalError) as caught:
        fake_client.get("/api/html/")
    assert "<html>" not in str(caught.value)


def test_token_is_sent_on_every_request(fake_server, fake_client):
    fake_server.route("GET", "/api/projects/", (200, []))
    fake_client.get("/api/projects/")
    assert fake_server.requests[-1]["headers"]["Authorization"] == "Token secret-token"


def test_login_stores_the_token(fake_server):
    fake_server.route("POST", "/api/auth/token/", (200, {"token": "abc123"}))
    client = dl.ApiClient(url=fake_server.url)
    assert client.login("alice", "pw") == "abc123"
    assert fake_server.requests[-1]["json"] == {"username": "alice", "password": "pw"}
    assert client.token == "abc123"


def test_unreachable_server_is_one_connection_error_naming_the_url(closed_port_url):
    client = dl.ApiClient(url=closed_port_url, token="t")
    with pytest.raises(dl.exceptions.ConnectionError) as caught:
        client.get("/api/projects/")
    assert closed_port_url in str(caught.value)
    assert "connection refused" in str(caught.value)
    assert isinstance(caught.value, dl.exceptions.DataslotError)
    assert isinstance(caught.value, ConnectionError)  # the builtin, too


def test_default_client_reads_the_environment(monkeypatch, fake_server):
    monkeypatch.setenv("DATASLOT_URL", fake_server.url)
    monkeypatch.setenv("DATASLOT_TOKEN", "from-env")
    fake_server.route("GET", "/api/projects/", (200, [{"id": 1, "name": "p", "role": "owner"}]))
    client = dl.ApiClient()
    projects = dl.ProjectsRepository(client).list()
    assert [p.name for p in projects] == ["p"]
    assert fake_server.requests[-1]["headers"]["Authorization"] == "Token from-env"


def test_setenv_and_login_token_configure_the_default_client(fake_server, default_client_at):
    fake_server.route("GET", "/api/projects/7/", (200, {"id": 7, "name": "seven"}))
    default_client_at(fake_server.url, "tok")
    assert dl.projects.get(project_id=7).name == "seven"
    assert fake_server.requests[-1]["headers"]["Authorization"] == "Token tok"


def dropping_server():
    """A peer that accepts connections and closes them at once; counts the attempts."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(3)
    accepted = []

    def drop_everything():
        try:
            while True:
                connection, _ = listener.accept()
                accepted.append(1)
                connection.close()
        except OSError:
            pass

    threading.Thread(target=drop_everything, daemon=True).start()
    return listener, accepted


def test_a_server_that_drops_connections_gets_a_bounded_number_of_tries_not_a_storm():
    listener, accepted = dropping_server()
    client = dl.ApiClient(url=f"http://127.0.0.1:{listener.getsockname()[1]}", token="t")
    with pytest.raises(dl.exceptions.ConnectionError):
        client.get("/api/projects/")
    gets = len(accepted)
    with pytest.raises(dl.exceptions.ConnectionError):
        client.post("/api/services/1/execute/", {})
    listener.close()
    # A GET is sent once more (a kept-alive socket may have gone stale); a POST never is,
    # so an execution is never created twice.
    assert gets == 2
    assert len(accepted) - gets == 1
