"""The benches' shared workload: a warm service whose functions do nothing, and item rows
bulk-created without files."""

from __future__ import annotations

# A package's main.py: ``noop()`` and ``noop_item(item)`` return at once, so what is timed is
# the platform's own path.
NOOP_CODE = """
import dataslot as dl


class ServiceRunner(dl.BaseServiceRunner):
    def noop(self):
        return None

    def noop_item(self, item):
        return None
"""

# Python for ``LiveServer.python``: defines ``fake_items(dataset_id, start, stop)``, which
# bulk-creates items number start..stop-1 of a dataset, 5,000 rows a query. Their file paths
# are made up (thumbnails 404): for what reads items' fields, not their bytes.
FAKE_ITEMS = """
from workspace.models import Item


def fake_items(dataset_id, start, stop):
    batch = []
    for n in range(start, stop):
        batch.append(Item(
            dataset_id=dataset_id, name=f"img{n:06d}.jpg", dir=f"/site{n % 7}",
            width=1000 + n % 13, height=1000, size=150_000 + n % 997,
            metadata={"system": {"mimetype": "image/jpeg", "originalname": f"img{n:06d}.jpg"},
                      "user": {"batch": n % 10, "score": (n * 37 % 100) / 100}},
            file=f"datasets/{dataset_id}/items/fake{n}.jpg",
            thumbnail=f"datasets/{dataset_id}/thumbnails/fake{n}.jpg",
        ))
        if len(batch) == 5000:
            Item.objects.bulk_create(batch)
            batch = []
    Item.objects.bulk_create(batch)
"""
