"""Introduction: a project, a dataset, items uploaded one at a time and several at once,
and the items listed page by page with a filter."""

import os

import dataslot as dl  # Dataloop: import dtlpy as dl

if dl.token_expired():
    dl.login("you", "your-password")  # Dataloop: dl.login()

ASSETS = os.path.join(os.path.dirname(__file__), "..", "assets")

project = dl.projects.get(project_name="Tutorials")
dataset = project.datasets.create(dataset_name="introduction")

# One file uploaded: one item.
item = dataset.items.upload(local_path=os.path.join(ASSETS, "red.png"))
print(f"uploaded {item.name} ({item.id})")

# Several files: a list of items.
items = dataset.items.upload(
    local_path=[os.path.join(ASSETS, "green.png"), os.path.join(ASSETS, "blue.png")], remote_path="/more"
)
print(f"uploaded {len(items)} items to /more")

# Pages: how many match, then page by page.
filters = dl.Filters(field="dir", values="/more")
pages = dataset.items.list(filters=filters)
print(f"{pages.items_count} items in /more")
for page in pages:
    for listed in page:
        print(listed.filename)

# Every item of the dataset, without thinking in pages.
all_names = sorted(listed.name for listed in dataset.items.list().all())
print(all_names)
