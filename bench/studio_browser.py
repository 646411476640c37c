"""How fast is the dataset browser's page at 100,000 items? (issue 5, first perf figure)

Measures, through Django's test client with a logged-in session, the server time of:
the browser's first page (grid and table: full HTML page with Applications and the
items), a deep page of the infinite-scroll fragment (?cursor= 90% of the way in), and
the first page with a DQL filter on a metadata field. A tenth of the items carry two
annotations each, drawn in the thumbnails' overlays. Prints p50/p95 in ms.
Target: p95 <= 100 ms for the first page and for deep pages.

    PYTHONPATH=platform:. .venv/bin/python bench/studio_browser.py [--items 100000] [--repeat 40]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]
os.environ["DJANGO_SETTINGS_MODULE"] = "dataslot_server.settings"
os.environ["DATASLOT_HOME"] = tempfile.mkdtemp(prefix="dataslot-bench-browser-")
os.environ["DATASLOT_DISPATCHER"] = "off"
os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
os.environ.setdefault("DATASLOT_LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from workspace.models import Annotation, Item  # noqa: E402
from workspace.services.projects import dataset_create, project_create  # noqa: E402


def add_items(dataset, count: int) -> None:
    batch = []
    for n in range(count):
        batch.append(
            Item(
                dataset=dataset,
                name=f"img{n:06d}.jpg",
                dir=f"/site{n % 7}",
                width=1000,
                height=750,
                size=150_000 + n % 997,
                metadata={"system": {"mimetype": "image/jpeg"}, "user": {"batch": n % 10}},
                file=f"datasets/{dataset.pk}/items/fake{n}.jpg",
                thumbnail=f"datasets/{dataset.pk}/thumbnails/fake{n}.jpg",
            )
        )
        if len(batch) == 5000:
            Item.objects.bulk_create(batch)
            batch = []
    Item.objects.bulk_create(batch)
    annotations = []
    for item_id in Item.objects.filter(dataset=dataset).values_list("id", flat=True)[::10]:
        annotations.append(Annotation(item_id=item_id, type="box", label="a", coordinates=[[10, 10], [200, 150]]))
        annotations.append(Annotation(item_id=item_id, type="point", label="b", coordinates=[[300, 300]]))
    Annotation.objects.bulk_create(annotations, batch_size=5000)


def timed(client: Client, url: str, repeat: int) -> list[float]:
    client.get(url)  # warm
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.content[:300]
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    user = User.objects.create_user("bench", password="bench")
    project = project_create(name="Bench", owner=user)
    dataset = dataset_create(project=project, name="big")
    t0 = time.perf_counter()
    add_items(dataset, args.items)
    print(f"{args.items} items created in {time.perf_counter() - t0:.1f} s")
    client = Client()
    client.force_login(user)
    base = f"/projects/{project.pk}/datasets/{dataset.pk}/"
    deep = Item.objects.filter(dataset=dataset).order_by("id").values_list("id", flat=True)[int(args.items * 0.9)]
    cases = {
        "first page, grid": base,
        "first page, table": base + "?view=table",
        "deep page (fragment, 90%)": base + f"items/?cursor={deep}",
        "first page, DQL on metadata": base + '?filter={"metadata.user.batch": 3}',
    }
    for name, url in cases.items():
        times = timed(client, url, args.repeat)
        p95 = statistics.quantiles(times, n=20)[18]
        print(f"{name:32s} p50 {statistics.median(times):6.1f} ms   p95 {p95:6.1f} ms")


if __name__ == "__main__":
    main()
