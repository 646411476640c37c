"""How fast is the ``dataslot`` SDK against a real server?

Starts a real server (daphne + the embedded dispatcher, as ``make run`` does), then:

1. walks the metadata of 100,000 items with ``dataset.items.list()`` (bulk-created in
   the database with fake file paths; the SDK fetches 1,000 a page by cursor).
   Target: <= 10 s. Prints the seconds, items/s, and how that time splits between
   waiting for the server and the SDK's own work (JSON decoding and entity building).
2. ``service.execute(function_name="noop", sync=True)`` on a warm service, N times.
   Target: p50 <= 50 ms. Prints p50/p95/max.

    PYTHONPATH=platform:. .venv/bin/python bench/sdk.py [--items 100000] [--calls 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]

import dataslot as dl  # noqa: E402
from tests.support.live import LiveServer  # noqa: E402

CODE = """
import dataslot as dl


class ServiceRunner(dl.BaseServiceRunner):
    def noop(self):
        return None
"""

BULK_CREATE = """
from workspace.models import Item
batch = []
for n in range({count}):
    batch.append(Item(
        dataset_id={dataset_id}, name=f"img{{n:06d}}.jpg", dir=f"/site{{n % 7}}",
        width=1000 + n % 13, height=1000, size=150_000 + n % 997,
        metadata={{"system": {{"mimetype": "image/jpeg", "originalname": f"img{{n:06d}}.jpg"}},
                  "user": {{"batch": n % 10, "score": (n * 37 % 100) / 100}}}},
        file=f"datasets/{dataset_id}/items/fake{{n}}.jpg",
        thumbnail=f"datasets/{dataset_id}/thumbnails/fake{{n}}.jpg",
    ))
    if len(batch) == 5000:
        Item.objects.bulk_create(batch)
        batch = []
Item.objects.bulk_create(batch)
"""


class TimedClient(dl.ApiClient):
    """The SDK's client, counting the time spent waiting for HTTP answers and decoding them."""

    def __init__(self, url, token):
        super().__init__(url=url, token=token)
        self.reset()

    def reset(self):
        self.waiting = self.in_call = 0.0
        self.requests = 0

    def request(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return super().request(*args, **kwargs)
        finally:
            self.waiting += time.perf_counter() - started
            self.requests += 1

    def call(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return super().call(*args, **kwargs)
        finally:
            self.in_call += time.perf_counter() - started


def bench_items(server: LiveServer, project, count: int) -> None:
    dataset = project.datasets.create(dataset_name="bench-items")
    started = time.perf_counter()
    server.python(BULK_CREATE.format(count=count, dataset_id=dataset.id))
    print(f"  bulk-created {count:,} items in {time.perf_counter() - started:.1f} s")

    client = TimedClient(dl.client_api.url, dl.client_api.token)
    dataset = dl.DatasetsRepository(client).get(dataset_id=dataset.id)
    dataset.items.list().first()  # warm the connection
    client.reset()

    started = time.perf_counter()
    seen, total_size = 0, 0
    for item in dataset.items.list().all():  # iterating the pages themselves yields pages, as in dtlpy
        seen += 1
        total_size += item.size  # read the metadata, as a script would
        _ = item.metadata["user"]["batch"]
    elapsed = time.perf_counter() - started
    assert seen == count, f"listed {seen} of {count} items"
    print(f"  items.list(): {count:,} items in {elapsed:.2f} s = {count / elapsed:,.0f} items/s  [target <= 10 s]")
    print(
        f"    {client.requests} requests: {client.waiting:.2f} s waiting for the server's answers, "
        f"{client.in_call - client.waiting:.2f} s decoding JSON, "
        f"{elapsed - client.in_call:.2f} s building and reading entities"
    )


def bench_execute(project, tmp: Path, calls: int) -> None:
    (tmp / "main.py").write_text(textwrap.dedent(CODE))
    package = project.packages.push(
        src_path=str(tmp),
        package_name="bench-noop",
        modules=[dl.PackageModule(name="bench", functions=[dl.PackageFunction(name="noop")])],
    )
    service = package.services.deploy(service_name="bench-noop")
    started = time.perf_counter()
    for _ in range(10):  # the replica starts on the first; the rest warm every path
        service.execute(function_name="noop", sync=True, timeout=60)
    print(
        f"  pushed and deployed a no-op; first 10 calls (replica start included) {time.perf_counter() - started:.1f} s"
    )
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        service.execute(function_name="noop", sync=True, timeout=60)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p50 = statistics.median(times)
    p95 = times[int(len(times) * 0.95) - 1]
    print(
        f"  execute(sync=True) of a no-op, {calls} calls: p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
        f"max {times[-1]:.1f} ms  [target p50 <= 50 ms]"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()

    started = time.perf_counter()
    server = LiveServer().start()
    print(f"SDK against a live server (SQLite, embedded dispatcher), started in {time.perf_counter() - started:.1f} s")
    try:
        server.create_user("bench", "pw", project="bench-sdk", role="owner")
        dl.setenv(server.url)
        dl.login("bench", "pw")
        project = dl.projects.get(project_name="bench-sdk")
        bench_items(server, project, args.items)
        with tempfile.TemporaryDirectory() as tmp:
            bench_execute(project, Path(tmp), args.calls)
    finally:
        started = time.perf_counter()
        server.stop()
        print(f"server stopped in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
