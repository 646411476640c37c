"""Annotations from a function: an auto-annotation service draws boxes with the model's
name and confidence, and the annotations are queried back by label."""

import os

import dataslot as dl  # Dataloop: import dtlpy as dl

if dl.token_expired():
    dl.login("you", "your-password")  # Dataloop: dl.login()

project = dl.projects.get(project_name="Tutorials")
dataset = project.datasets.create(dataset_name="auto-annotation")
item = dataset.items.upload(local_path=os.path.join(os.path.dirname(__file__), "..", "assets", "red.png"))

package = project.packages.push(
    package_name="auto-annotation",
    src_path=os.path.join(os.path.dirname(__file__), "..", "packages", "annotations"),
    modules=[
        dl.PackageModule(
            functions=dl.PackageFunction(
                name="detect",
                inputs=dl.FunctionIO(type=dl.PackageInputType.ITEM, name="item"),
                outputs=dl.FunctionIO(type=dl.PackageInputType.ANNOTATIONS, name="annotations"),
            )
        )
    ],
)
service = package.services.deploy(service_name="auto-annotation")
execution = service.execute(item_id=item.id, function_name="detect").wait()
print(execution.status)

# Back in the script: only the cats of this item, filtered by the server.
filters = dl.Filters(resource=dl.FiltersResource.ANNOTATION, field="label", values="cat")
cats = item.annotations.list(filters=filters)
for annotation in cats:
    print(annotation.label, annotation.left, annotation.top, annotation.right, annotation.bottom)
    print(annotation.metadata["user"]["model"])

# The whole dataset's annotations, page by page.
pages = dataset.annotations.list()
labels = sorted(annotation.label for annotation in pages.all())
print(labels)

# Items that have a dog on them.
with_dogs = dl.Filters()
with_dogs.add_join(field="label", values="dog")
dog_items = [found.name for found in dataset.items.list(filters=with_dogs).all()]
print(dog_items)
