"""Websocket consumers: a member follows a project's executions, or one execution's logs.

A refused connection is accepted and then closed with a code, before it joins any group
(closing before the handshake completes would reach the client as a bare HTTP 403, with
no reason): 4401 without a valid login or token; 4404 when the project or execution does
not exist or the user is not a member, one code for both as the API's 404 is one answer
(and for a path that names nothing, ``NotFoundConsumer``); 4403 when a connected member
loses access to the project (removed, the project deleted, the person deactivated or
deleted, or the token the socket opened with deleted: live/signals.py); 4400 for a
request no page makes (an unknown ``?view=``).

A consumer subscribes to its stream through the process (``live/fanout.py``), which sends
it each batch's text, made once for the whole group (live/events.py): nothing is parsed
or rendered per connection, and the channel layer carries one copy per process.
"""

from __future__ import annotations

import asyncio
import logging
from importlib import import_module

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer, AsyncWebsocketConsumer
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.utils.crypto import constant_time_compare
from rest_framework.authtoken.models import Token

from faas.models import Execution
from live import fanout
from live.auth import TOKEN_AUTHENTICATED
from live.events import (
    current_batch,
    execution_logs_group,
    heartbeat_json,
    project_group,
    user_group,
    watching,
)
from workspace.models import Membership

logger = logging.getLogger(__name__)

BAD_REQUEST = 4400  # a socket asked for something that does not exist (an unknown ?view=)
UNAUTHENTICATED = 4401
FORBIDDEN = 4403
NOT_FOUND = 4404
UNAVAILABLE = 1011  # the server cannot serve live events right now (the client reconnects)
ACCESS_RECHECK = 60.0  # seconds between a socket's checks that what let it in still stands


@database_sync_to_async
def _is_member(user, project_id: int) -> bool:
    return Membership.objects.filter(user=user, project_id=project_id).exists()


def access_lasts(*, user_id: int, project_id: int, token_key: str | None, session_key: str | None) -> bool:
    """Whether what let a socket in still stands: its person active and a member, its token
    or its session still theirs. The signals in ``live/signals.py`` close sockets at once;
    this catches what sends none (``QuerySet.update()``, raw SQL, a session that expired)."""
    User = get_user_model()
    if not Membership.objects.filter(user_id=user_id, project_id=project_id, user__is_active=True).exists():
        return False
    if token_key:
        return Token.objects.filter(key=token_key, user_id=user_id).exists()
    if session_key:
        session = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key).load()  # {} if gone
        user = User.objects.filter(pk=user_id).first()
        return (
            user is not None
            and str(session.get(SESSION_KEY)) == str(user_id)
            and constant_time_compare(session.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash())
        )
    return True


@database_sync_to_async
def _project_of_execution(execution_id: int) -> int | None:
    return Execution.objects.filter(pk=execution_id).values_list("project_id", flat=True).first()


class MemberConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None
    user_group: str | None = None
    watched_project: int | None = None
    stream: str | None = None  # the project's batches it follows (json, html): counted as a watcher
    counted = False
    rechecks: asyncio.Task | None = None

    async def project_id(self) -> int | None:
        raise NotImplementedError

    async def group_name(self) -> str:
        raise NotImplementedError

    async def connect(self):
        fanout.remember_server_loop()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.refuse(UNAUTHENTICATED)
            return
        # Told when this user loses the project, so events stop at once, not at reconnect.
        # Joined before the membership is read: a removal committed after that read is heard.
        self.user_group = user_group(user.id)
        if not await self.join_user_group():
            self.user_group = None
            await self.refuse(UNAVAILABLE)
            return
        project_id = await self.project_id()
        if project_id is None or not await _is_member(user, project_id):
            await self.refuse(NOT_FOUND)
            return
        code = await self.refusal()
        if code is not None:
            await self.refuse(code)
            return
        self.watched_project = project_id
        self.group = await self.group_name()
        await fanout.join(self.group, self)
        await self.accept()
        self.rechecks = asyncio.ensure_future(self._recheck_access(user.id, project_id))
        if self.stream:
            self.counted = True
            await watching(project_id, self.stream, 1)
            # Where the numbers stand: a batch this socket's stream missed from now on (one
            # published before its watcher was counted everywhere) is then a gap it notices.
            try:
                seq, epoch = await sync_to_async(current_batch, thread_sensitive=False)(project_id)
            except Exception:  # noqa: BLE001 - Redis away: the next heartbeat says it
                logger.warning("websocket: could not read the project's batch number", exc_info=True)
                return
            try:
                await self.send(text_data=self.heartbeat(seq, epoch))
            except Exception:  # noqa: BLE001 - the client left meanwhile: end as its disconnect would
                logger.info("websocket: the client left before its first heartbeat", exc_info=True)
                await self.disconnect(None)
                raise StopConsumer() from None

    async def join_user_group(self) -> bool:
        try:
            await self.channel_layer.group_add(self.user_group, self.channel_name)
        except Exception:  # noqa: BLE001 - a pooled connection from before a Redis restart: once more
            logger.warning("websocket: the channel layer failed a group_add; trying once more", exc_info=True)
            try:
                await self.channel_layer.group_add(self.user_group, self.channel_name)
            except Exception:  # noqa: BLE001 - Redis is away: say so with a close code, not a 500
                logger.exception("websocket: the channel layer is unreachable")
                return False
        return True

    async def refusal(self) -> int | None:
        """A close code for a member's request that cannot be served (checked after the login
        and the membership, so those answer first), or None."""
        return None

    def heartbeat(self, seq: int, epoch: str) -> str:
        """This stream's heartbeat: the latest batch number and its epoch."""
        return heartbeat_json(seq, epoch)

    async def refuse(self, code: int) -> None:
        await self.accept()
        await self.close(code=code)

    async def _recheck_access(self, user_id: int, project_id: int) -> None:
        check = database_sync_to_async(access_lasts)
        token_key = self.scope.get(TOKEN_AUTHENTICATED) or None
        session_key = None if token_key else self.session_key()
        while True:
            await asyncio.sleep(ACCESS_RECHECK)
            try:
                lasts = await check(
                    user_id=user_id, project_id=project_id, token_key=token_key, session_key=session_key
                )
            except Exception:  # noqa: BLE001 - a database blip closes nothing: the next check decides
                logger.warning("websocket: could not check that its access still stands", exc_info=True)
                continue
            if not lasts:
                await self.close(code=FORBIDDEN)
                return

    async def disconnect(self, code):
        # Once only: a socket ended by connect() is not told of its disconnect again.
        rechecks, self.rechecks = self.rechecks, None
        if rechecks is not None:
            rechecks.cancel()
        if self.counted:
            self.counted = False
            await watching(self.watched_project, self.stream, -1)
        group, self.group = self.group, None
        if group:
            await fanout.leave(group, self)
        joined, self.user_group = self.user_group, None  # joined first, so also left on a refusal
        if joined:
            await self.channel_layer.group_discard(joined, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        # A member only listens: frames from the browser are dropped unparsed, so no frame
        # (malformed, deeply nested, huge) can fail the socket.
        return

    async def access_revoked(self, message):
        """``projectId``: the project lost, or None for every project (the user deactivated or
        deleted); ``token``: only the sockets a token opened (the user's token deleted);
        ``session``: only the sockets that session opened (it logged out), or True for every
        session's (the password changed)."""
        event = message["event"]
        if self.watched_project is None or event.get("projectId") not in (None, self.watched_project):
            return
        by_token = bool(self.scope.get(TOKEN_AUTHENTICATED))
        if event.get("token") and not by_token:
            return
        session = event.get("session")
        if session is not None and (by_token or (session is not True and session != self.session_key())):
            return
        await self.close(code=FORBIDDEN)

    def session_key(self) -> str | None:
        session = self.scope.get("session")
        return getattr(session, "session_key", None)

    async def live_event(self, message):
        await self.send_json(message["event"])


class ProjectConsumer(MemberConsumer):
    stream = "json"

    async def project_id(self):
        return self.scope["url_route"]["kwargs"]["project_id"]

    async def group_name(self):
        return project_group(await self.project_id())


class ExecutionLogsConsumer(MemberConsumer):
    async def project_id(self):
        return await _project_of_execution(self.scope["url_route"]["kwargs"]["execution_id"])

    async def group_name(self):
        return execution_logs_group(self.scope["url_route"]["kwargs"]["execution_id"])


class NotFoundConsumer(AsyncWebsocketConsumer):
    """Any other path, or an id that cannot exist: 4404, as the API's 404 (not a 500 from the router)."""

    async def connect(self):
        await self.accept()
        await self.close(code=NOT_FOUND)
