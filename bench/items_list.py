"""How fast is a page of the dataset browser's item list, at 10,000 and 100,000 items?

Measures GET /api/datasets/{id}/items/ (100 items a page) through Django's test client
with token auth: the first page, a page 90% of the way through the dataset reached by
following cursors (page 900 of 1000 at 100k items), and the first page of a DQL filter
on a metadata field: a broad one (10% of the items match, so a page fills early) and two
selective ones, a value 0.1% of the items have (10 at 10k, 100 at 100k) and a value none
has, whose page costs a scan of the whole dataset while nothing indexes the JSON path.
Prints p50/p95 per case and the 100k/10k ratio of the p95s.
Target: p95 <= 50 ms on SQLite, and a ratio near 1 (keyset pages do not slow down).

    PYTHONPATH=platform:. .venv/bin/python bench/items_list.py [--repeat 50]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]
os.environ["DJANGO_SETTINGS_MODULE"] = "dataslot_server.settings"
os.environ["DATASLOT_HOME"] = tempfile.mkdtemp(prefix="dataslot-bench-items-")
os.environ["DATASLOT_DISPATCHER"] = "off"
os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
os.environ.setdefault("DATASLOT_LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from workspace.models import Item  # noqa: E402
from workspace.services.projects import dataset_create, project_create  # noqa: E402

PAGE = 100
SPECIES = ["wren", "robin", "finch", "heron", "owl", "swift", "kestrel", "plover"]
TARGET_MS = 50
STATIONS = 1000  # metadata.user.station = "st<n % 1000>": each value on 0.1% of the items


def add_items(dataset, start: int, stop: int) -> None:
    batch = []
    for n in range(start, stop):
        batch.append(
            Item(
                dataset=dataset,
                name=f"img{n:06d}.jpg",
                dir=f"/site{n % 7}",
                width=1000 + n % 13,
                height=1000,
                size=150_000 + n % 997,
                metadata={
                    "system": {"mimetype": "image/jpeg", "originalname": f"img{n:06d}.jpg"},
                    "user": {
                        "batch": n % 10,
                        "species": SPECIES[n % len(SPECIES)],
                        "score": (n * 37 % 100) / 100,
                        "station": f"st{n % STATIONS}",
                    },
                },
                file=f"datasets/{dataset.pk}/items/fake{n}.jpg",
                thumbnail=f"datasets/{dataset.pk}/thumbnails/fake{n}.jpg",
            )
        )
        if len(batch) == 5000:
            Item.objects.bulk_create(batch)
            batch = []
    Item.objects.bulk_create(batch)


def timed(client: Client, url: str, headers: dict, repeat: int, expect: int = PAGE) -> list[float]:
    client.get(url, **headers)  # warm
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        response = client.get(url, **headers)
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.content[:500]
        assert len(response.json()["results"]) == expect
    return times


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1]


def measure(client: Client, dataset, headers: dict, total: int, repeat: int) -> dict[str, list[float]]:
    base = f"/api/datasets/{dataset.pk}/items/?page_size={PAGE}"
    deep_pages = int(total / PAGE * 0.9)
    url, t0 = base, time.perf_counter()
    for _ in range(deep_pages):  # reach the deep page through cursors, as a client scrolling would
        url = client.get(url, **headers).json()["next"]
    walk = time.perf_counter() - t0
    print(f"  followed {deep_pages} cursors in {walk:.1f} s ({walk / deep_pages * 1000:.1f} ms a page)")

    def query(field: str, value) -> str:
        return f"{base}&filter={json.dumps({field: value})}"

    return {
        "first page": timed(client, base, headers, repeat),
        f"page {deep_pages} (cursor)": timed(client, url, headers, repeat),
        "filter metadata.user.batch=3 (10%)": timed(client, query("metadata.user.batch", 3), headers, repeat),
        "filter metadata.user.station=st7 (0.1%)": timed(
            client, query("metadata.user.station", "st7"), headers, repeat, expect=min(PAGE, total // STATIONS)
        ),
        "filter metadata.user.station=none (0%)": timed(
            client, query("metadata.user.station", "none"), headers, repeat, expect=0
        ),
    }


def report(results: dict[str, list[float]]) -> None:
    for name, times in results.items():
        over = "  over the 50 ms target" if p95(times) > TARGET_MS else ""
        print(f"  {name:42s} p50 {statistics.median(times):6.1f} ms   p95 {p95(times):6.1f} ms{over}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    user = User.objects.create_user("bench", password="pw")
    token = Token.objects.create(user=user)
    dataset = dataset_create(project=project_create(name="Bench", owner=user), name="Birds")
    headers = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    client = Client()
    print(f"database: {connection.vendor}; {args.repeat} requests per case")

    runs = {}
    done = 0
    for total in (10_000, 100_000):
        t0 = time.perf_counter()
        add_items(dataset, done, total)
        done = total
        print(f"{total:,} items (made in {time.perf_counter() - t0:.1f} s):")
        runs[total] = measure(client, dataset, headers, total, args.repeat)
        report(runs[total])

    print("ratio of p95, 100k / 10k:")
    for (name_small, small), (name_big, big) in zip(runs[10_000].items(), runs[100_000].items(), strict=True):
        label = name_big if name_small == name_big else f"{name_small} -> {name_big}"
        print(f"  {label:55s} {p95(big) / p95(small):.2f}")
    worst_name, worst = max(((name, p95(t)) for name, t in runs[100_000].items()), key=lambda pair: pair[1])
    verdict = "OK" if worst <= TARGET_MS else "TOO SLOW"
    print(f"worst p95 at 100k: {worst:.1f} ms, {worst_name} (target <= {TARGET_MS} ms): {verdict}")


if __name__ == "__main__":
    main()
