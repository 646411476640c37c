"""The same server on PostgreSQL and a Redis channel layer: claims, control and live events.

Skipped, with the reason, where PostgreSQL or Redis cannot be reached.
"""

import asyncio
import json
import os
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import POSTGRES_URL
from tests.faas.conftest import push_runner
from tests.support.functions import FunctionsApi

pytestmark = pytest.mark.server

REDIS_URL = os.environ.get("DATASLOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/7")


def reachable() -> str | None:
    try:
        import psycopg

        psycopg.connect(POSTGRES_URL, connect_timeout=3).close()
    except Exception as error:  # noqa: BLE001 - any failure is a reason to skip, said plainly
        return f"PostgreSQL at {POSTGRES_URL} is not reachable ({type(error).__name__})"
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as error:  # noqa: BLE001
        return f"Redis at {REDIS_URL} is not reachable ({type(error).__name__})"
    return None


@pytest.fixture
def database_url():
    reason = reachable()
    if reason:
        pytest.skip(reason)
    import psycopg

    name = f"dataslot_live_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_executions_run_terminate_and_stream_on_postgresql_and_redis(fresh_live_server, database_url):
    import websockets

    server = fresh_live_server(DATABASE_URL=database_url, REDIS_URL=REDIS_URL).start()
    token = server.create_user("owner", project="Scale")
    api = FunctionsApi(server, token)
    project_id = api.project("Scale")
    package = push_runner(api, project_id, "runner")
    service = api.deploy(project_id, package, "pg", runtime={"concurrency": 4, "numReplicas": 2})

    batch = [api.execute(service["id"], "sleepy", {"seconds": 0.2}) for _ in range(12)]
    assert all(api.wait(e["id"], timeout=60)["status"] == "success" for e in batch)
    assert all(api.execution(e["id"])["attempts"] == 1 for e in batch)  # each claimed exactly once

    running = api.execute(service["id"], "cooperative")
    api.wait(running["id"], until={"in-progress"})
    api.call("POST", f"/executions/{running['id']}/terminate/", 200)
    assert api.wait(running["id"])["status"] == "terminated"

    async def follow():
        url = server.url.replace("http", "ws") + f"/ws/projects/{project_id}/"
        async with websockets.connect(url, additional_headers={"Authorization": f"Token {token}"}) as ws:
            # Longer than the channel layer's blocking pop and redis-py's default read
            # timeout (5 s each): a quiet websocket stays open.
            await asyncio.sleep(7)
            execution = await asyncio.to_thread(api.execute, service["id"], "whoami")
            statuses = []
            while "success" not in statuses:
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout=20))
                # Batches of executions, and heartbeats ({"type": "seq"}) between them.
                for event in message.get("executions", []):
                    if event["id"] == execution["id"]:
                        statuses.append(event["status"])
            return statuses

    with ThreadPoolExecutor(max_workers=1) as pool:
        statuses = pool.submit(asyncio.run, follow()).result()
    assert statuses[0] == "created" and statuses[-1] == "success"
