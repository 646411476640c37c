"""Does throughput grow with workers? Scale-out (Celery workers) against its floor and the embedded mode.

Real processes on this machine: PostgreSQL, a private Redis (channel layer and broker;
``--brokers redis,rabbitmq`` adds a RabbitMQ vhost as the broker), one web process
(daphne, no dispatcher) and 1, 2 then 4 ``manage.py worker`` processes. Two services:
a no-op (``concurrency`` 20) and a CPU-bound function of ~50 ms of fixed work
(``concurrency`` 1: one replica per worker, one run at a time, so a worker is one
core's worth of capacity). For each worker count and function:

- create -> success, one execution at a time, p50 / p95: through the API (from
  ``POST /services/{id}/execute/`` to the ``success`` event on the project's websocket),
  and queued (from the execution's ``createdAt`` on the server to that event: the path a
  Celery task takes too, without the HTTP request); the target compares the latter;
- throughput: one ``execute-batch`` until the last ``success`` event: executions/s (for the
  CPU-bound function, the median of ``--cpu-repeats`` batches).

Beside them: the embedded dispatcher (``make run``'s mode: SQLite, one process) with the
same services, and the floor: Celery's own no-op round trip on the same broker (a
trivial task, ``apply_async`` -> result through a Redis result backend, one worker
process with a threads pool), kept running beside the cluster. Targets: no-op create ->
success p50 within 3x the floor's round trip (the median of ``--latency-rounds`` rounds,
each measuring our queued latency then Celery's back to back); CPU-bound throughput x1.7 or better from one worker to two (the median of
``--ratio-rounds`` rounds, each measuring one worker then two back to back).

    PYTHONPATH=platform:. .venv/bin/python bench/scale_out.py [--brokers redis,rabbitmq] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]

import websockets  # noqa: E402

from tests.support import cluster as clusters  # noqa: E402
from tests.support.functions import FunctionsApi, function  # noqa: E402
from tests.support.live import LiveServer  # noqa: E402

CODE = """
import dataslot as dl

WORK = {work}


class ServiceRunner(dl.BaseServiceRunner):
    def noop(self):
        return None

    def noop_item(self, item):
        return None

    def cpu(self):
        return sum(i * i for i in range(WORK)) & 1

    def cpu_item(self, item):
        return sum(i * i for i in range(WORK)) & 1
"""
FUNCTIONS = [
    function("noop"),
    function("noop_item", ("item", "Item")),
    function("cpu"),
    function("cpu_item", ("item", "Item")),
]

WARM_NOOP, WARM_CPU = 40, 16  # executions per warm-up round: enough to reach every worker

FLOOR_MODULE = """
import os
from celery import Celery

app = Celery("floor", broker=os.environ["FLOOR_BROKER"], backend=os.environ["FLOOR_BACKEND"])
app.conf.update(task_default_queue="floor", worker_prefetch_multiplier=1, worker_hijack_root_logger=False)


@app.task(name="floor.noop")
def noop():
    return None
"""


def executions_in(message: dict) -> list[dict]:
    """The executions a project stream's message carries (a batch, or none: a heartbeat)."""
    return message.get("executions", [])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def calibrate(target: float = 0.05) -> int:
    """Iterations of the CPU-bound function's loop that take `target` seconds here, idle."""
    work = 100_000
    while True:
        start = time.perf_counter()
        sum(i * i for i in range(work))
        took = time.perf_counter() - start
        if took > 0.01:
            return int(work * target / took)
        work *= 4


class Setup:
    """A server (embedded, or a cluster's web process), a user, both services and the items to batch over."""

    def __init__(self, server, work: int, args):
        self.server = server
        self.token = server.create_user("bench", project="Bench")
        self.api = FunctionsApi(server, self.token)
        self.project_id = self.api.project("Bench")
        # One folder per batch: a batch runs over every item of its folder.
        folders = {"/noop": args.batch, "/cpu": args.cpu_batch, "/warm": WARM_NOOP, "/warm-cpu": WARM_CPU}
        server.python(
            "from workspace.models import Dataset, Item, Project;"
            "d = Dataset.objects.create(project=Project.objects.get(name='Bench'), name='bench');"
            f"Item.objects.bulk_create([Item(dataset=d, name=f'{{f}}{{i}}.png', dir=f, width=1, height=1, size=1,"
            f" file='x', thumbnail='x', metadata={{'system': {{'mimetype': 'image/png'}}}})"
            f" for f, n in {folders!r}.items() for i in range(n)])"
        )
        package = self.api.push(self.project_id, "bench", CODE.format(work=work), FUNCTIONS)
        self.noop = self.api.deploy(self.project_id, package, "noop", runtime={"concurrency": 20, "numReplicas": 1})
        self.cpu = self.api.deploy(self.project_id, package, "cpu", runtime={"concurrency": 1, "numReplicas": 1})
        self.ws_url = server.url.replace("http", "ws") + f"/ws/projects/{self.project_id}/"
        self.drops = 0  # websockets the server closed mid-measure
        self.early = 0  # success events that came before their POST's response was read

    def connect(self):
        return websockets.connect(
            self.ws_url, additional_headers={"Authorization": f"Token {self.token}"}, max_queue=None
        )

    def finished(self, ids: set[int]) -> set[int]:
        """Which of these have ended, asked of the API (after the websocket dropped)."""
        return {i for i in ids if self.api.execution(i)["status"] in ("success", "failed", "terminated")}

    async def until_ended(self, ws_holder: list, ids: set[int], timeout: float) -> None:
        """Read success events until every id has ended. A websocket the server closes is
        opened again (counted in `drops`) and what ended meanwhile is asked of the API."""
        while ids:
            try:
                message = json.loads(await asyncio.wait_for(ws_holder[0].recv(), timeout))
            except websockets.ConnectionClosed:
                self.drops += 1
                ws_holder[0] = await self.connect()
                ids -= await asyncio.to_thread(self.finished, set(ids))
                continue
            for event in executions_in(message):
                if event["id"] in ids and event["status"] in ("success", "failed"):
                    assert event["status"] == "success", event
                    ids.discard(event["id"])

    async def latency(self, service: dict, name: str, samples: int) -> tuple[list[float], list[float]]:
        """Per sample, in ms: from the API request to the success event (what a script
        sees), and from the execution's creation on the server (its ``createdAt``: the
        same clock, this machine) to the success event (the queue's path: publish, a
        worker's claim, the replica, the result and its event; no HTTP request).

        A reader task takes the socket's frames as they arrive and notes when each final
        state came: the event often arrives before this client has finished reading its
        own POST's response (on another thread), and waiting for that first would add the
        client's own work to the server's path."""
        api, queued = [], []
        ws = await self.connect()
        arrived: dict[int, tuple[float, float, str]] = {}  # id -> (perf_counter, time, status)
        news = asyncio.Event()

        async def read() -> None:
            try:
                async for frame in ws:
                    perf, now = time.perf_counter(), time.time()
                    for event in executions_in(json.loads(frame)):
                        if event["status"] in ("success", "failed", "terminated"):
                            arrived.setdefault(event["id"], (perf, now, event["status"]))
                    news.set()
            finally:
                news.set()  # the socket closed: the waiting sample sees it

        reader = asyncio.create_task(read())
        try:
            for _ in range(samples):
                start = time.perf_counter()
                execution = await asyncio.to_thread(self.api.execute, service["id"], name)
                returned = time.perf_counter()
                async with asyncio.timeout(60):
                    while execution["id"] not in arrived:
                        if reader.done():
                            break
                        news.clear()
                        await news.wait()
                if reader.done():  # the server closed the socket: a sample without its event is not a latency
                    self.drops += 1
                    ws = await self.connect()
                    reader = asyncio.create_task(read())
                    continue
                perf, now, status = arrived[execution["id"]]
                assert status == "success", (execution["id"], status)
                api.append((perf - start) * 1000)
                self.early += perf < returned
                created = datetime.fromisoformat(execution["createdAt"].replace("Z", "+00:00")).timestamp()
                queued.append((now - created) * 1000)
        finally:
            reader.cancel()
            await ws.close()
        return api, queued

    async def batch(self, service: dict, name: str, folder: str) -> float:
        holder = [await self.connect()]
        try:
            start = time.perf_counter()
            response = await asyncio.to_thread(
                self.api.call,
                "POST",
                f"/services/{service['id']}/execute-batch/",
                201,
                json={"functionName": name, "filter": {"dir": folder}},
            )
            ids = set(response.json()["ids"])
            count = len(ids)
            await self.until_ended(holder, ids, 120)
            return count / (time.perf_counter() - start)
        finally:
            await holder[0].close()

    def warm(self, workers: int, cluster=None, timeout: float = 60) -> None:
        """Until every worker has a ready replica of both services (replicas start on demand)."""
        deadline = time.monotonic() + timeout
        services = {self.noop["id"], self.cpu["id"]}
        while True:
            asyncio.run(self.batch(self.noop, "noop_item", "/warm"))
            asyncio.run(self.batch(self.cpu, "cpu_item", "/warm-cpu"))
            if cluster is None:
                return
            rows = cluster.query("SELECT replicas FROM runner_worker WHERE stopped_at IS NULL")
            ready = [{r["serviceId"] for r in replicas if r.get("ready")} for (replicas,) in rows]
            if len(ready) == workers and all(services <= s for s in ready):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"workers not warm within {timeout} s: {rows}")
            time.sleep(0.5)

    def measure(self, args) -> dict:
        noop_lat, noop_queued = asyncio.run(self.latency(self.noop, "noop", args.samples))
        noop_rate = asyncio.run(self.batch(self.noop, "noop_item", "/noop"))
        cpu_lat, _ = asyncio.run(self.latency(self.cpu, "cpu", args.cpu_samples))
        # The median of a few batches: on a shared virtual machine one batch's rate can be off
        # by a third (the same loop's CPU time varies that much between runs here).
        cpu_rate = statistics.median(
            asyncio.run(self.batch(self.cpu, "cpu_item", "/cpu")) for _ in range(args.cpu_repeats)
        )
        return {
            "noop": (statistics.median(noop_lat), percentile(noop_lat, 95), noop_rate),
            "noop-queued": (statistics.median(noop_queued), percentile(noop_queued, 95)),
            "cpu": (statistics.median(cpu_lat), percentile(cpu_lat, 95), cpu_rate),
        }


def row(label: str, figures: dict) -> str:
    (n50, n95, nrate), (c50, c95, crate) = figures["noop"], figures["cpu"]
    q50, q95 = figures["noop-queued"]
    return (
        f"{label:<22} no-op: {nrate:6.0f}/s  API p50 {n50:6.1f} ms  p95 {n95:6.1f} ms  "
        f"queued p50 {q50:5.1f} ms  p95 {q95:5.1f} ms   "
        f"cpu ~50 ms: {crate:5.1f}/s  p50 {c50:6.1f} ms  p95 {c95:6.1f} ms"
    )


class CeleryFloor:
    """Celery's own no-op round trip on a broker: a worker process of a trivial app
    (threads pool, Redis result backend), kept running so that its round trip can be
    measured in turns with ours (this machine's speed drifts over minutes)."""

    def __init__(self, broker_url: str, backend_url: str):
        self.directory = Path(tempfile.mkdtemp(prefix="dataslot-floor-"))
        (self.directory / "floor.py").write_text(textwrap.dedent(FLOOR_MODULE))
        env = {
            **os.environ,
            "PYTHONPATH": str(self.directory),
            "FLOOR_BROKER": broker_url,
            "FLOOR_BACKEND": backend_url,
        }
        self.worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "floor", "worker", "-P", "threads", "-c", "8", "-Q", "floor"]
            + ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "ERROR"],
            cwd=self.directory,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(self.directory / "worker.log", "wb"),
        )
        sys.path.insert(0, str(self.directory))
        os.environ.update(FLOOR_BROKER=broker_url, FLOOR_BACKEND=backend_url)
        sys.modules.pop("floor", None)
        import floor

        self.task = floor.noop
        self.task.apply_async().get(timeout=60)  # the worker is up, connections open

    def latencies(self, samples: int) -> list[float]:
        """Round trips (ms), one task at a time."""
        latencies = []
        for _ in range(samples):
            start = time.perf_counter()
            self.task.apply_async().get(timeout=30)
            latencies.append((time.perf_counter() - start) * 1000)
        return latencies

    def rate(self, count: int) -> float:
        start = time.perf_counter()
        for result in [self.task.apply_async() for _ in range(count)]:
            result.get(timeout=60)
        return count / (time.perf_counter() - start)

    def close(self) -> None:
        sys.path.remove(str(self.directory))
        sys.modules.pop("floor", None)
        self.worker.terminate()
        self.worker.wait(20)


def latency_rounds(setup: Setup, floor: CeleryFloor, rounds: int, samples: int) -> list[tuple[float, float]]:
    """(our queued p50, Celery's p50) per round, each measured back to back with one worker:
    a ratio of two figures taken minutes apart carries this machine's drift."""
    figures = []
    for _ in range(rounds):
        _, queued = asyncio.run(setup.latency(setup.noop, "noop", samples))
        figures.append((statistics.median(queued), statistics.median(floor.latencies(samples))))
    return figures


def scale_out(broker: str, args, work: int) -> dict:
    reason = clusters.unavailable(broker)
    if reason:
        raise SystemExit(f"scale-out cannot run here: {reason}")
    env = {"DATASLOT_LOG_LEVEL": "ERROR", "DATASLOT_WORKER_HEARTBEAT": "1", "DATASLOT_REQUEUE_AFTER": "30"}
    with clusters.Cluster(broker=broker, lease=10, **env) as cluster:
        web = cluster.web()
        setup = Setup(web, work, args)
        floor = CeleryFloor(cluster.broker_url, cluster.redis.url(3))
        try:
            results = {}
            for count in (1, 2, 4):
                while len(cluster.workers) < count:
                    cluster.worker(f"bench-{len(cluster.workers)}")
                setup.warm(count, cluster)
                results[count] = setup.measure(args)
                print(row(f"{broker}, {count} worker(s)", results[count]), flush=True)
                if count == 1:
                    rounds = latency_rounds(setup, floor, args.latency_rounds, args.samples)
                    print(
                        f"{broker}: no-op queued p50 / Celery's round trip p50, 1 worker, back to back in "
                        f"{len(rounds)} rounds: "
                        + ", ".join(f"{q:.1f} / {f:.1f} ms = x{q / f:.1f}" for q, f in rounds),
                        flush=True,
                    )
            ratios = cpu_ratio_rounds(setup, cluster, args.ratio_rounds)
            print(
                f"{broker}: CPU-bound 2 workers / 1 worker, measured back to back in {len(ratios)} rounds: "
                + ", ".join(f"x{r:.2f}" for r in ratios),
                flush=True,
            )
            if setup.drops:
                print(
                    f"  ({setup.drops} websocket(s) closed by the server with 1011 mid-measure: reopened, see the report)"
                )
            trips = floor.latencies(args.samples)
            rate = floor.rate(args.batch)
        finally:
            floor.close()
        print(
            f"{'Celery floor (' + broker + ')':<22} no-op: {rate:6.0f}/s  p50 {statistics.median(trips):6.1f} ms  "
            f"p95 {percentile(trips, 95):6.1f} ms   (apply_async -> result, Redis result backend)",
            flush=True,
        )
        return {"results": results, "latency": rounds, "speedups": ratios}


def cpu_ratio_rounds(setup: Setup, cluster, rounds: int) -> list[float]:
    """2 workers / 1 worker for the CPU-bound batch, each round measuring both back to back
    (down to one worker, a batch; a second worker, a batch): the speed of this virtual
    machine's cores drifts over minutes, and a ratio of two figures taken a minute apart
    carries that drift."""
    live = [w for w in cluster.workers if w.process.poll() is None]
    ratios = []
    for _ in range(rounds):
        while len(live) > 1:
            live.pop().stop()
        setup.warm(1, cluster)
        one = asyncio.run(setup.batch(setup.cpu, "cpu_item", "/cpu"))
        live.append(cluster.worker(f"bench-{len(cluster.workers)}"))
        setup.warm(2, cluster)
        two = asyncio.run(setup.batch(setup.cpu, "cpu_item", "/cpu"))
        ratios.append(two / one)
    return ratios


def embedded(args, work: int) -> dict:
    server = LiveServer(DATASLOT_LOG_LEVEL="ERROR").start()
    try:
        setup = Setup(server, work, args)
        setup.warm(1)
        figures = setup.measure(args)
        print(row("embedded (SQLite)", figures), flush=True)
        return figures
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--brokers", default="redis", help="comma-separated: redis, rabbitmq")
    parser.add_argument("--samples", type=int, default=40, help="sequential no-op executions per figure")
    parser.add_argument("--batch", type=int, default=300, help="no-op executions per throughput batch")
    parser.add_argument("--cpu-samples", type=int, default=15)
    parser.add_argument("--cpu-batch", type=int, default=80)
    parser.add_argument("--cpu-repeats", type=int, default=3, help="CPU-bound batches per figure (their median)")
    parser.add_argument("--ratio-rounds", type=int, default=3, help="rounds of 1 then 2 workers, back to back")
    parser.add_argument(
        "--latency-rounds", type=int, default=3, help="rounds of our no-op latency then Celery's, back to back"
    )
    parser.add_argument("--quick", action="store_true", help="a third of the samples, for a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.samples, args.batch, args.cpu_samples, args.cpu_batch = 20, 120, 8, 40
    started = time.monotonic()
    work = calibrate()
    print(f"{os.cpu_count()} cores; the CPU-bound function does {work:,} loop turns (~50 ms here, idle)", flush=True)

    base = embedded(args, work)
    for broker in args.brokers.split(","):
        figures = scale_out(broker.strip(), args, work)
        results, ratios = figures["results"], figures["speedups"]
        noop_p50 = results[1]["noop"][0]
        ratio = statistics.median(q / f for q, f in figures["latency"])
        queued_p50 = statistics.median(q for q, _ in figures["latency"])
        floor_p50 = statistics.median(f for _, f in figures["latency"])
        speedup = statistics.median(ratios)
        four = results[4]["cpu"][2] / results[1]["cpu"][2]
        print(
            f"[{broker}] no-op created -> success p50, 1 worker: {queued_p50:.1f} ms against Celery's own round trip "
            f"{floor_p50:.1f} ms: x{ratio:.1f} (the median of the rounds' ratios; target within x3: "
            f"{'met' if ratio <= 3 else 'MISSED'}); through the API (POST -> success event): {noop_p50:.1f} ms; "
            f"embedded through the API: {base['noop'][0]:.1f} ms"
        )
        print(
            f"[{broker}] CPU-bound throughput, 2 workers / 1 worker: x{speedup:.2f} (median of the rounds) "
            f"(target >= x1.7: {'met' if speedup >= 1.7 else 'MISSED'}); 4 workers / 1: x{four:.2f}"
        )
    print(
        f"At 4 workers on {os.cpu_count()} cores the CPU-bound rate is bounded by the cores, not by Celery: "
        "4 replicas share them with their 4 worker processes (each execution costs its worker CPU too: the "
        "claim, a scheduling pass per message, live events), the web process, PostgreSQL and Redis."
    )
    print(f"load average at the end: {open('/proc/loadavg').read().split()[:3]} (other processes share these cores)")
    print(f"(bench took {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
