"""A member's websockets close (4403) however their access is taken away: removed from the
project by any means, deactivated, deleted, or their API token deleted; a removal that
lands while the socket is still connecting is not missed; and what ends without a signal
(an update, raw SQL, a session that expired) closes the socket at its next check."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from dataslot_server.asgi import application
from live import consumers
from workspace.models import Membership
from workspace.services.projects import membership_delete, membership_set, project_create

pytestmark = pytest.mark.django_db(transaction=True)

REVOKED = 4403


@pytest.fixture
def project():
    owner = get_user_model().objects.create_user("olivia", password="pw")
    return project_create(name="Revocations", owner=owner)


@pytest.fixture
def member(project):
    user = get_user_model().objects.create_user("rita", password="pw")
    membership_set(project=project, user=user, role="annotator")
    return user


def token_headers(user) -> list:
    return [(b"authorization", f"Token {Token.objects.get_or_create(user=user)[0].key}".encode())]


def session_headers(user) -> list:
    client = Client()
    client.force_login(user)
    return [
        (b"cookie", f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode())
    ]


async def _ending(communicator) -> int | str:
    """The close code the server ends the socket with, or "open" (heartbeats aside)."""
    while True:
        if await communicator.receive_nothing(timeout=2):  # (a timed-out receive would end the app)
            return "open"
        output = await communicator.receive_output()
        if output["type"] == "websocket.close":
            return output.get("code")


def ending_after(action, *, path: str, headers: list) -> int | str:
    """Connect as a member, take ``action`` (in a thread, as a request or the admin would),
    and say how the socket ends."""

    async def scenario():
        communicator = WebsocketCommunicator(application, path, headers=headers)
        connected, _ = await communicator.connect()
        assert connected
        first = await communicator.receive_from(timeout=5)  # a member, told where the numbers stand
        assert first.startswith('{"type":"seq"') or "data-live-heartbeat" in first
        await asyncio.to_thread(action)
        code = await _ending(communicator)
        await communicator.disconnect()
        return code

    return async_to_sync(scenario)()


def deactivate(user):
    user.is_active = False
    user.save()


@pytest.mark.parametrize(
    "action",
    [
        pytest.param(deactivate, id="deactivated"),
        pytest.param(lambda user: user.delete(), id="user-deleted"),
        # As the admin or a cascade removes it: not through the workspace's service.
        pytest.param(lambda user: Membership.objects.filter(user=user).delete(), id="membership-deleted"),
        pytest.param(lambda user: Token.objects.filter(user=user).delete(), id="token-deleted"),
    ],
)
def test_a_members_socket_is_closed_when_their_access_goes(project, member, action):
    path = f"/ws/projects/{project.pk}/"
    assert ending_after(lambda: action(member), path=path, headers=token_headers(member)) == REVOKED


@pytest.mark.parametrize("path", ["/ws/projects/{}/", "/ws/studio/projects/{}/"])
def test_a_deactivated_members_session_socket_is_closed_too(project, member, path):
    headers = session_headers(member)
    assert ending_after(lambda: deactivate(member), path=path.format(project.pk), headers=headers) == REVOKED


def test_deleting_a_token_leaves_the_same_persons_browser_sockets_open(project, member):
    token_headers(member)  # the person has a token, but this socket logged in with a session
    path = f"/ws/projects/{project.pk}/"
    action = lambda: Token.objects.filter(user=member).delete()  # noqa: E731
    assert ending_after(action, path=path, headers=session_headers(member)) == "open"


def test_a_removal_while_the_socket_connects_is_not_missed(project, member, monkeypatch):
    """The membership is removed (and the removal announced) right after the socket's
    membership check passed, before it is accepted: the socket still hears of it."""
    checked = consumers._is_member

    async def checked_then_removed(user, project_id):
        found = await checked(user, project_id)
        await database_sync_to_async(membership_delete)(project=project, user_id=member.pk)
        return found

    monkeypatch.setattr(consumers, "_is_member", checked_then_removed)
    headers = token_headers(member)

    async def scenario():
        communicator = WebsocketCommunicator(application, f"/ws/projects/{project.pk}/", headers=headers)
        connected, _ = await communicator.connect()
        code = await _ending(communicator)
        await communicator.disconnect()
        return connected, code

    assert async_to_sync(scenario)() == (True, REVOKED)


def session_of(client: Client) -> list:
    return [
        (b"cookie", f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode())
    ]


def test_logging_out_closes_the_sockets_that_session_opened_and_no_others(project, member):
    path = f"/ws/projects/{project.pk}/"
    leaving, staying, other = Client(), Client(), Client()
    for client in (leaving, staying, other):
        client.force_login(member)
    assert ending_after(lambda: leaving.post("/logout/"), path=path, headers=session_of(leaving)) == REVOKED
    assert ending_after(lambda: other.post("/logout/"), path=path, headers=session_of(staying)) == "open"


def change_password(user):
    user.set_password("a new password")
    user.save()


def rename(user):
    user.first_name = "Rita"
    user.save()


@pytest.mark.parametrize(
    ("action", "headers", "ends"),
    [
        pytest.param(change_password, session_headers, REVOKED, id="new-password-session"),
        pytest.param(change_password, token_headers, "open", id="new-password-token"),
        pytest.param(rename, session_headers, "open", id="renamed-session"),
    ],
)
def test_a_new_password_closes_the_sockets_sessions_opened(project, member, action, headers, ends):
    path = f"/ws/projects/{project.pk}/"
    assert ending_after(lambda: action(member), path=path, headers=headers(member)) == ends


def quietly_deactivate(user):
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)  # no signal


def quietly_remove(user):
    Membership.objects.filter(user=user)._raw_delete(Membership.objects.db)  # no signal


def quietly_rotate_token(user):
    Token.objects.filter(user=user).update(key="f" * 40)  # no signal


def expire_sessions(user):
    Session.objects.update(expire_date=timezone.now())


def quietly_change_password(user):
    get_user_model().objects.filter(pk=user.pk).update(password=make_password("another-pw"))  # no signal


@pytest.mark.parametrize(
    "action, headers",
    [
        pytest.param(quietly_deactivate, token_headers, id="deactivated-by-update"),
        pytest.param(quietly_remove, session_headers, id="membership-removed-by-raw-delete"),
        pytest.param(quietly_rotate_token, token_headers, id="token-changed-by-update"),
        pytest.param(expire_sessions, session_headers, id="session-expired"),
        pytest.param(quietly_change_password, session_headers, id="password-changed-by-update"),
    ],
)
def test_access_that_ends_without_a_signal_closes_the_socket_at_its_next_check(
    project, member, monkeypatch, action, headers
):
    monkeypatch.setattr(consumers, "ACCESS_RECHECK", 0.2)
    path = f"/ws/projects/{project.pk}/"
    assert ending_after(lambda: action(member), path=path, headers=headers(member)) == REVOKED


def test_a_socket_whose_access_stands_stays_open_through_its_checks(project, member, monkeypatch):
    monkeypatch.setattr(consumers, "ACCESS_RECHECK", 0.2)
    for headers in (token_headers(member), session_headers(member)):
        assert ending_after(lambda: None, path=f"/ws/projects/{project.pk}/", headers=headers) == "open"
