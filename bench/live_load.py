"""Live at load: many websocket watchers of one project while executions pour in.

Starts a real server (daphne + the embedded dispatcher, as ``make run``; with
``--layer redis`` the same server on the Redis channel layer), connects N clients of each
kind to one project: N JSON clients (``/ws/projects/<pid>/``, as the SDK and integrations,
by token) and N studio clients (``/ws/studio/projects/<pid>/``, the pages' HTML rows, by
session cookie and Origin), then creates R no-op executions a second for D seconds, half
as the browser does (``POST /api/projects/<pid>/slots/run/`` with the session) and half as
the SDK does (``POST /api/services/<id>/execute/`` with the token), while a browser-like
session loads the dataset browser page twice a second.

Every client follows the batch numbers (live/events.py): a number missing for longer
than the grace period makes it resynchronise (re-read the project's executions from the
API, as a page re-reads its rows). Afterwards it prints create latency p50/p95,
executions completed per second, per client the final states received live and after
resync versus expected, the dataset page's p95 during the load, and checks that every
execution's state in the database equals what every client last showed.

    PYTHONPATH=platform:. .venv/bin/python bench/live_load.py [--clients 100] [--rate 50] [--duration 60]
        [--layer embedded|redis|both] [--redis-url redis://127.0.0.1:6379/11] [--port 8610]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]

import requests  # noqa: E402
import websockets  # noqa: E402

from tests.support.functions import FunctionsApi, slot  # noqa: E402
from tests.support.live import LiveServer  # noqa: E402

CODE = """
import dataslot as dl

class ServiceRunner(dl.BaseServiceRunner):
    def noop(self, item: dl.Item):
        return None
"""
FINAL = {"success", "failed", "terminated"}
GAP_GRACE = 1.5  # as live/events.py
ROW = re.compile(
    r'data-list="drawer" data-execution-id="(\d+)" data-status="([a-z-]+)"(?: data-finished)? data-version="([^"]*)"'
)
SEQ = re.compile(r'<template data-live-seq="(\d+)" data-live-epoch="([^"]*)"( data-live-heartbeat)?>')


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def version_of(execution: dict) -> str:
    return f"{len(execution.get('statusLog') or []):06d}|{execution.get('updatedAt') or ''}"


# --- the clients (in processes of their own, so that parsing does not slow the load) ---


class Follower:
    """One client's view: each execution's newest state, and the batch numbers."""

    def __init__(self):
        self.shown: dict[int, tuple[str, str]] = {}  # id -> (version, status)
        self.finals_live: set[int] = set()
        self.epoch: str | None = None
        self.restarted = False  # the numbers started again under a new epoch: re-read now
        self.replaced: set[str] = set()
        self.last: int | None = None
        self.target = 0
        self.received: set[int] = set()
        self.gap_since: float | None = None
        self.gaps = 0
        self.resyncs = 0
        self.messages = 0

    def show(self, execution_id: int, version: str, status: str, *, live: bool = True) -> None:
        current = self.shown.get(execution_id)
        if current is None or version >= current[0]:
            self.shown[execution_id] = (version, status)
        if live and status in FINAL:
            self.finals_live.add(execution_id)

    def seen(self, seq: int, heartbeat: bool, epoch: str | None = None) -> None:
        if epoch in self.replaced:
            return  # a late message of a counter already replaced
        if epoch is not None and self.epoch is not None and epoch != self.epoch:
            self.replaced.add(self.epoch)
            self.last, self.target, self.received, self.gap_since = None, 0, set(), None
            self.restarted = True
        if epoch is not None:
            self.epoch = epoch
        if self.last is None:
            self.last = seq if heartbeat else seq - 1
        if not heartbeat:
            self.received.add(seq)
        self.target = max(self.target, seq)
        while self.last + 1 in self.received:
            self.received.discard(self.last + 1)
            self.last += 1
        if self.last < self.target and self.gap_since is None:
            self.gap_since = time.monotonic()
        elif self.last >= self.target:
            self.gap_since = None

    def gap_due(self) -> bool:
        if self.restarted:
            self.restarted = False
            self.gaps += 1
            return True
        if self.gap_since is not None and time.monotonic() - self.gap_since > GAP_GRACE:
            self.gaps += 1
            self.last = max(self.last, self.target)
            self.received = {s for s in self.received if s > self.last}
            self.gap_since = None
            return True
        return False


def resync(follower: Follower, http: requests.Session, api_url: str, project_id: int, since_id: int) -> None:
    """Re-read what may have changed unseen, as a page re-reads the rows it shows: the
    project's executions (newest first) down to the oldest one this client shows
    unfinished or has never seen."""
    follower.resyncs += 1
    shown = list(follower.shown.items())  # one copy (C-level, atomic): the client's loop goes on meanwhile
    known = [i for i, _ in shown if i >= since_id]
    newest = max(known, default=since_id - 1)
    unseen = set(range(since_id, newest + 1)).difference(known)
    unfinished = [i for i, (_, status) in shown if i >= since_id and status not in FINAL]
    floor = min([*unseen, *unfinished, newest + 1])
    url = f"{api_url}/projects/{project_id}/executions/?page_size=200"
    while url:
        page = http.get(url, timeout=60).json()
        results = page["results"]
        for execution in results:
            if execution["id"] >= since_id:
                follower.show(execution["id"], version_of(execution), execution["status"], live=False)
        url = page.get("next") if results and results[-1]["id"] > floor else None


async def run_client(kind: str, config: dict, stop, ready: list, out: list, last_batch, connecting) -> None:
    follower = Follower()
    headers = {"Authorization": f"Token {config['token']}"}
    url = f"{config['ws']}/ws/projects/{config['project_id']}/"
    if kind == "studio":
        headers = {"Cookie": f"sessionid={config['sessionid']}", "Origin": config["http"]}
        url = f"{config['ws']}/ws/studio/projects/{config['project_id']}/"
    http = requests.Session()
    http.headers["Authorization"] = f"Token {config['token']}"
    resyncing: asyncio.Task | None = None
    for attempt in range(20):
        try:
            async with connecting:  # a few at a time: daphne listens with a backlog of 50
                ws = await websockets.connect(url, additional_headers=headers, max_queue=None, open_timeout=60)
            break
        except (OSError, websockets.InvalidStatus, TimeoutError):
            await asyncio.sleep(0.5 + attempt * 0.2)
    else:
        raise RuntimeError(f"{kind} client could not connect")
    ready.append(1)
    try:
        while not stop.is_set():
            try:
                text = await asyncio.wait_for(ws.recv(), timeout=0.5)
            except TimeoutError:
                text = None
            if text is not None:
                follower.messages += 1
                if not text.startswith('{"type":"seq"') and "data-live-heartbeat" not in text[:160]:
                    last_batch.value = time.monotonic()
                if kind == "json":
                    message = json.loads(text)
                    if "seq" in message:
                        for execution in message.get("executions", ()):
                            follower.show(execution["id"], version_of(execution), execution["status"])
                        follower.seen(message["seq"], message["type"] == "seq", message.get("epoch"))
                else:
                    for execution_id, status, version in ROW.findall(text):
                        follower.show(int(execution_id), version, status)
                    marker = SEQ.search(text)
                    if marker:
                        follower.seen(int(marker.group(1)), bool(marker.group(3)), marker.group(2))
            if follower.gap_due() and (resyncing is None or resyncing.done()):
                resyncing = asyncio.create_task(
                    asyncio.to_thread(resync, follower, http, config["api"], config["project_id"], config["since_id"])
                )
    finally:
        if resyncing is not None:
            await resyncing
        await ws.close()
    out.append(
        {
            "kind": kind,
            "shown": {i: s for i, (_, s) in follower.shown.items()},
            "finals_live": sorted(follower.finals_live),
            "gaps": follower.gaps,
            "resyncs": follower.resyncs,
            "messages": follower.messages,
        }
    )


def client_process(kind: str, count: int, config: dict, stop, ready_counter, last_batch, results) -> None:
    async def main():
        ready: list = []
        out: list = []
        stopper = asyncio.Event()

        async def watch_stop():
            while not stop.is_set():
                await asyncio.sleep(0.2)
                ready_counter.value = len(ready)
            stopper.set()

        class Flag:
            def is_set(self):
                return stopper.is_set()

        connecting = asyncio.Semaphore(10)
        tasks = [
            asyncio.create_task(run_client(kind, config, Flag(), ready, out, last_batch, connecting))
            for _ in range(count)
        ]
        await watch_stop()
        await asyncio.gather(*tasks, return_exceptions=True)
        return out

    results.put(asyncio.run(main()))


# --- the load ------------------------------------------------------------------------


def log_in(server: LiveServer, username: str, password: str) -> requests.Session:
    session = requests.Session()
    session.get(server.url + "/login/", timeout=10)
    session.post(
        server.url + "/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        timeout=10,
    )
    assert "sessionid" in session.cookies, "could not log in"
    return session


def setup(server: LiveServer, items: int) -> dict:
    token = server.create_user("loadbench", "pw", project="Load")
    api = FunctionsApi(server, token)
    project_id = api.project("Load")
    server.python(
        "from workspace.models import Dataset, Item, Project;"
        "d = Dataset.objects.create(project=Project.objects.get(name='Load'), name='load');"
        f"Item.objects.bulk_create([Item(dataset=d, name=f'{{i}}.png', dir='/load', width=1, height=1, size=1,"
        f" file='x', thumbnail='x', metadata={{'system': {{'mimetype': 'image/png'}}}}) for i in range({items})])"
    )
    datasets = api.call("GET", f"/projects/{project_id}/datasets/", 200).json()
    datasets = datasets if isinstance(datasets, list) else datasets["results"]
    dataset = next(d for d in datasets if d["name"] == "load")
    item_ids = [
        i["id"]
        for i in api.call("GET", f"/datasets/{dataset['id']}/items/", 200, params={"page_size": 50}).json()["results"]
    ]
    load_slot = slot("noop", "Load no-op", "noAction")
    package = api.push(
        project_id, "load", CODE, [{"name": "noop", "inputs": [{"name": "item", "type": "Item"}]}], slots=[load_slot]
    )
    service = api.deploy(project_id, package, "load", runtime={"concurrency": 20, "numReplicas": 1})
    api.call("POST", f"/services/{service['id']}/activate-slots/", 200, json={"projectId": project_id, "slots": None})
    for _ in range(3):  # warm: the replica started and has run the function
        api.wait(api.execute(service["id"], "noop", {"item": item_ids[0]})["id"])
    return {
        "token": token,
        "api": api,
        "project_id": project_id,
        "dataset_id": dataset["id"],
        "service_id": service["id"],
        "item_ids": item_ids,
    }


def run_load(server: LiveServer, world: dict, *, clients: int, rate: float, duration: float) -> dict:
    browser = log_in(server, "loadbench", "pw")
    csrf = browser.cookies["csrftoken"]
    api: FunctionsApi = world["api"]
    since_id = (
        max(e["id"] for e in api.call("GET", f"/projects/{world['project_id']}/executions/", 200).json()["results"]) + 1
    )
    config = {
        "token": world["token"],
        "sessionid": browser.cookies["sessionid"],
        "http": server.url,
        "ws": server.url.replace("http", "ws"),
        "api": server.url + "/api",
        "project_id": world["project_id"],
        "since_id": since_id,
    }
    ctx = multiprocessing.get_context("fork")
    stop = ctx.Event()
    results = ctx.Queue()
    counters = {kind: ctx.Value("i", 0) for kind in ("json", "studio")}
    last_batches = {kind: ctx.Value("d", 0.0) for kind in ("json", "studio")}
    processes = [
        ctx.Process(
            target=client_process,
            args=(kind, clients, config, stop, counters[kind], last_batches[kind], results),
            daemon=True,
        )
        for kind in ("json", "studio")
    ]
    for process in processes:
        process.start()
    deadline = time.monotonic() + 120
    while sum(c.value for c in counters.values()) < 2 * clients:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {[c.value for c in counters.values()]} clients connected")
        time.sleep(0.2)

    create_ms: list[float] = []
    created: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()
    local = threading.local()

    def session(kind: str) -> requests.Session:
        if not hasattr(local, kind):
            s = requests.Session()
            if kind == "sdk":
                s.headers["Authorization"] = f"Token {world['token']}"
            else:
                s.cookies.update({"sessionid": config["sessionid"], "csrftoken": csrf})
                s.headers.update({"X-CSRFToken": csrf, "Referer": server.url + "/", "Origin": server.url})
            setattr(local, kind, s)
        return getattr(local, kind)

    def create(n: int) -> None:
        item = world["item_ids"][n % len(world["item_ids"])]
        t0 = time.perf_counter()
        try:
            if n % 2:
                answer = session("sdk").post(
                    f"{config['api']}/services/{world['service_id']}/execute/",
                    json={"functionName": "noop", "input": {"item": item}},
                    timeout=60,
                )
                ids = [answer.json()["id"]] if answer.status_code == 201 else []
            else:
                answer = session("browser").post(
                    f"{config['api']}/projects/{world['project_id']}/slots/run/",
                    json={
                        "serviceId": world["service_id"],
                        "functionName": "noop",
                        "resource": "item",
                        "panel": "browser",
                        "selection": {"ids": [item]},
                    },
                    timeout=60,
                )
                ids = [e["id"] for e in answer.json()["executions"]] if answer.status_code == 201 else []
            elapsed = (time.perf_counter() - t0) * 1000
            with lock:
                if not ids:
                    errors.append(f"{answer.status_code} {answer.text[:200]}")
                created.extend(ids)
                create_ms.append(elapsed)
        except requests.RequestException as exc:
            with lock:
                errors.append(repr(exc))

    page_ms: list[float] = []
    loading = threading.Event()

    def load_pages() -> None:
        page = requests.Session()
        page.cookies.update(browser.cookies)
        url = f"{server.url}/projects/{world['project_id']}/datasets/{world['dataset_id']}/"
        while not loading.is_set():
            t0 = time.perf_counter()
            answer = page.get(url, timeout=60)
            if answer.status_code == 200:
                page_ms.append((time.perf_counter() - t0) * 1000)
            loading.wait(0.5)

    pager = threading.Thread(target=load_pages, daemon=True)
    cpu_before = cpu_seconds(server.process.pid), [cpu_seconds(p.pid) for p in processes]
    start = time.monotonic()
    pager.start()
    total = int(rate * duration)
    with ThreadPoolExecutor(max_workers=64) as pool:
        for n in range(total):
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(create, n)
        load_end = time.monotonic()
    created_end = time.monotonic()
    loading.set()
    pager.join()

    # Drain: every execution final in the database.
    expected = set(created)
    final_at = None
    drain_deadline = time.monotonic() + 120
    while time.monotonic() < drain_deadline:
        states = database_states(api, world["project_id"], since_id)
        if all(states.get(i) in FINAL for i in expected):
            final_at = time.monotonic()
            break
        time.sleep(0.5)
    cpu_after = cpu_seconds(server.process.pid), [cpu_seconds(p.pid) for p in processes]
    # Until the clients have had nothing new for a while: the last batches, the heartbeat
    # after them, and any resync it starts.
    quiet_deadline = time.monotonic() + 180
    while time.monotonic() < quiet_deadline:
        if time.monotonic() - max(v.value for v in last_batches.values()) > 2 * GAP_GRACE + 3:
            break
        time.sleep(0.5)
    settled_at = time.monotonic()
    time.sleep(2 * GAP_GRACE + 2)
    stop.set()
    clients_out = [c for _ in processes for c in results.get(timeout=300)]
    for process in processes:
        process.join(30)
    states = database_states(api, world["project_id"], since_id)
    return {
        "create_ms": create_ms,
        "errors": errors,
        "expected": expected,
        "start": start,
        "load_end": load_end,
        "created_end": created_end,
        "final_at": final_at,
        "page_ms": page_ms,
        "clients": clients_out,
        "states": states,
        "server_cpu": cpu_after[0] - cpu_before[0],
        "clients_cpu": sum(cpu_after[1]) - sum(cpu_before[1]),
        # The last batch a client received, after the database had every execution final
        # (polled every 0.5 s, so a little below zero is possible): how far live lagged.
        "delivered_after": max(v.value for v in last_batches.values()) - (final_at or settled_at),
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its finished children (replicas are others)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database_states(api: FunctionsApi, project_id: int, since_id: int) -> dict[int, str]:
    states = {}
    url = f"/projects/{project_id}/executions/?page_size=1000"
    while url:
        page = api.call("GET", url, 200).json()
        for execution in page["results"]:
            if execution["id"] >= since_id:
                states[execution["id"]] = execution["status"]
        more = page["results"] and page["results"][-1]["id"] > since_id and page.get("next")
        url = page["next"].split("/api", 1)[1] if more else None
    return states


def report(label: str, clients: int, rate: float, duration: float, r: dict) -> bool:
    expected = r["expected"]
    n = len(expected)
    elapsed = (r["final_at"] or time.monotonic()) - r["start"]
    completed = sum(1 for i in expected if r["states"].get(i) in FINAL)
    create_p50, create_p95 = statistics.median(r["create_ms"] or [float("nan")]), percentile(r["create_ms"], 95)
    page_p95 = percentile(r["page_ms"], 95)
    print(f"== {label}: N={clients} clients of each kind, R={rate:g}/s, D={duration:g} s ==")
    print(
        f"  created {n} executions in {r['created_end'] - r['start']:.1f} s ({n / max(0.001, r['created_end'] - r['start']):.1f}/s), "
        f"create errors {len(r['errors'])}{': ' + r['errors'][0] if r['errors'] else ''}"
    )
    print(f"  create latency: p50 {create_p50:.1f} ms, p95 {create_p95:.1f} ms (target p95 <= 100 ms)")
    drained = "all final" if r["final_at"] else "NOT all final after 120 s"
    print(
        f"  completed: {completed}/{n} in {elapsed:.1f} s from the first create ({completed / elapsed:.1f}/s; "
        f"created at {rate:g}/s; {drained})"
    )
    print(
        f"  dataset browser page during load: p50 {statistics.median(r['page_ms'] or [float('nan')]):.1f} ms, "
        f"p95 {page_p95:.1f} ms over {len(r['page_ms'])} loads (target p95 <= 250 ms)"
    )
    print(
        f"  CPU during the load: server process {r['server_cpu']:.1f} s "
        f"({1000 * r['server_cpu'] / max(1, n):.1f} ms per execution, its replicas not counted), "
        f"client processes {r['clients_cpu']:.1f} s, over {elapsed:.0f} s of wall time on a shared machine"
    )
    print(
        f"  last live batch reached the clients {r['delivered_after']:+.1f} s after the database had every "
        "execution final (polled every 0.5 s)"
    )
    ok = True
    for kind in ("json", "studio"):
        group = [c for c in r["clients"] if c["kind"] == kind]
        live = [len(expected & set(c["finals_live"])) for c in group]
        missing_after = []
        wrong = []
        for c in group:
            shown = {int(i): s for i, s in c["shown"].items()}
            missing_after.append(sum(1 for i in expected if shown.get(i) not in FINAL))
            wrong.append(sum(1 for i in expected if shown.get(i) != r["states"].get(i)))
        gaps = [c["gaps"] for c in group]
        resyncs = [c["resyncs"] for c in group]
        print(
            f"  {kind:6s} clients ({len(group)}): final states received live min {min(live, default=0)} / "
            f"median {statistics.median(live or [0]):.0f} / max {max(live, default=0)} of {n} expected; "
            f"gaps seen {sum(gaps)} (clients with any: {sum(1 for g in gaps if g)}), resyncs {sum(resyncs)}; "
            f"missing after resync: max {max(missing_after, default=0)}; "
            f"last shown != database: max {max(wrong, default=0)}"
        )
        ok = ok and len(group) == clients and max(missing_after, default=1) == 0 and max(wrong, default=1) == 0
    verdict = (
        ok
        and create_p95 <= 100
        and page_p95 <= 250
        and r["final_at"] is not None
        and completed / elapsed >= 0.95 * rate * min(1.0, duration / elapsed)
    )
    print(f"  correctness (every client's last state == database, none missing): {'OK' if ok else 'FAILED'}")
    print(f"  targets: {'MET' if verdict else 'NOT MET'}")
    return verdict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--layer", choices=["embedded", "redis", "both"], default="both")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/11")
    parser.add_argument("--port", type=int, default=8610)
    parser.add_argument("--items", type=int, default=2000)
    args = parser.parse_args()
    layers = ["embedded", "redis"] if args.layer == "both" else [args.layer]
    for layer in layers:
        env = {"DATASLOT_LOG_LEVEL": "ERROR"}
        if layer == "redis":
            import redis

            redis.Redis.from_url(args.redis_url).flushdb()  # this bench's own database number
            env["REDIS_URL"] = args.redis_url
        server = LiveServer(**env)
        server.port = args.port
        server.url = f"http://127.0.0.1:{args.port}"
        server.env["PORT"] = str(args.port)
        server.start()
        try:
            world = setup(server, args.items)
            result = run_load(server, world, clients=args.clients, rate=args.rate, duration=args.duration)
            label = (
                "embedded (in-memory channel layer)"
                if layer == "embedded"
                else f"Redis channel layer ({args.redis_url})"
            )
            report(label, args.clients, args.rate, args.duration, result)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
