"""How fast does Dataslot run functions? Latency, throughput, overhead and replica memory.

Starts a real server (daphne + the embedded dispatcher, as ``make run`` does) and a
warm service whose function does nothing, then measures:

1. create -> success: from sending ``POST /services/{id}/execute/`` to receiving the
   ``success`` event on the project's websocket (the channel layer), N times in a row.
   Targets: p50 <= 30 ms, p95 <= 80 ms.
2. a batch of 1,000 executions (``execute-batch`` over 1,000 items) until the last
   ``success`` event. Target: >= 200 executions/s.
3. the same no-op called directly in a ``ProcessPoolExecutor``, for the platform's
   overhead as a ratio (latency and throughput).
4. the resident memory of one idle replica process.

    PYTHONPATH=platform:. .venv/bin/python bench/executions.py [--samples 200] [--batch 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]

import websockets  # noqa: E402

from bench.support.workload import NOOP_CODE  # noqa: E402
from tests.support.functions import FunctionsApi, function  # noqa: E402
from tests.support.live import LiveServer  # noqa: E402


def noop():
    return None


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def replica_pids(server_pid: int) -> list[int]:
    pids = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        cmdline = (status.parent / "cmdline").read_bytes().replace(b"\0", b" ")
        if fields.get("PPid", "").strip() == str(server_pid) and b"dataslot.runtime.replica" in cmdline:
            pids.append(int(status.parent.name))
    return pids


async def latency(api: FunctionsApi, ws_url: str, token: str, service_id: int, samples: int) -> list[float]:
    results = []
    async with websockets.connect(ws_url, additional_headers={"Authorization": f"Token {token}"}) as ws:
        for _ in range(samples):
            start = time.perf_counter()
            execution = await asyncio.to_thread(api.execute, service_id, "noop")
            ended = False
            while not ended:
                for event in json.loads(await asyncio.wait_for(ws.recv(), 30)).get("executions", []):
                    if event["id"] == execution["id"] and event["status"] == "success":
                        results.append((time.perf_counter() - start) * 1000)
                        ended = True
    return results


async def batch(api: FunctionsApi, ws_url: str, token: str, service_id: int, count: int) -> float:
    async with websockets.connect(ws_url, additional_headers={"Authorization": f"Token {token}"}, max_queue=None) as ws:
        start = time.perf_counter()
        response = await asyncio.to_thread(
            api.call,
            "POST",
            f"/services/{service_id}/execute-batch/",
            201,
            json={"functionName": "noop_item", "filter": {"dir": "/bench"}},
        )
        ids = set(response.json()["ids"])
        assert len(ids) == count, len(ids)
        done = 0
        while done < count:
            # Batches of executions (and heartbeats between them): docs/api.md "Websockets".
            for event in json.loads(await asyncio.wait_for(ws.recv(), 60)).get("executions", []):
                if event["id"] in ids and event["status"] == "success":
                    done += 1
        return time.perf_counter() - start


def pool_figures(samples: int, count: int) -> tuple[list[float], float]:
    with ProcessPoolExecutor(max_workers=2) as pool:
        pool.submit(noop).result()
        latencies = []
        for _ in range(samples):
            start = time.perf_counter()
            pool.submit(noop).result()
            latencies.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        for future in [pool.submit(noop) for _ in range(count)]:
            future.result()
        return latencies, count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()

    server = LiveServer(DATASLOT_LOG_LEVEL="ERROR").start()
    try:
        token = server.create_user("bench", project="Bench")
        api = FunctionsApi(server, token)
        project_id = api.project("Bench")
        server.python(
            "from workspace.models import Dataset, Item, Project;"
            "d = Dataset.objects.create(project=Project.objects.get(name='Bench'), name='bench');"
            f"Item.objects.bulk_create([Item(dataset=d, name=f'{{i}}.png', dir='/bench', width=1, height=1, size=1,"
            f" file='x', thumbnail='x', metadata={{'system': {{'mimetype': 'image/png'}}}}) for i in range({args.batch})])"
        )
        package = api.push(project_id, "noop", NOOP_CODE, [function("noop"), function("noop_item", ("item", "Item"))])
        service = api.deploy(project_id, package, "noop", runtime={"concurrency": 20, "numReplicas": 1})
        for _ in range(5):  # warm: replica started, connections open
            api.wait(api.execute(service["id"], "noop")["id"])
        ws_url = server.url.replace("http", "ws") + f"/ws/projects/{project_id}/"

        lat = asyncio.run(latency(api, ws_url, token, service["id"], args.samples))
        p50, p95 = statistics.median(lat), percentile(lat, 95)
        print(
            f"create -> success event, {args.samples} warm no-op executions: "
            f"p50 {p50:.1f} ms, p95 {p95:.1f} ms (targets 30 / 80 ms)"
        )

        elapsed = asyncio.run(batch(api, ws_url, token, service["id"], args.batch))
        rate = args.batch / elapsed
        print(f"batch of {args.batch} executions: {elapsed:.2f} s, {rate:.0f} executions/s (target >= 200/s)")

        pool_lat, pool_rate = pool_figures(args.samples, args.batch)
        pool_p50 = statistics.median(pool_lat)
        print(f"ProcessPoolExecutor, same no-op: p50 {pool_p50:.3f} ms, {pool_rate:.0f} calls/s")
        print(
            f"overhead ratio (Dataslot / process pool): latency x{p50 / pool_p50:.0f}, "
            f"throughput x{pool_rate / rate:.0f} slower"
        )

        time.sleep(1)
        pids = replica_pids(server.process.pid)
        memory = [rss_mb(pid) for pid in pids]
        print(f"idle replica memory (RSS): {', '.join(f'{m:.1f} MB' for m in memory)} over {len(pids)} replica(s)")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
