"""A single function: deploy a plain Python function as a service and run it on an item."""

import os

import dataslot as dl  # Dataloop: import dtlpy as dl

if dl.token_expired():
    dl.login("you", "your-password")  # Dataloop: dl.login()


def rgb2gray(item: dl.Item):
    import io

    from PIL import Image

    gray = Image.open(item.download(save_locally=False)).convert("L")
    buffer = io.BytesIO()
    gray.save(buffer, format="PNG")
    buffer.name = item.name
    item.dataset.items.upload(local_path=buffer, remote_path="/gray")
    print(f"converted {item.name}")


project = dl.projects.get(project_name="Tutorials")
service = project.services.deploy(func=rgb2gray, service_name="grayscale-item-service")

dataset = project.datasets.create(dataset_name="single-function")
item = dataset.items.upload(local_path=os.path.join(os.path.dirname(__file__), "..", "assets", "red.png"))

execution = service.execute(item_id=item.id, function_name="rgb2gray", project_id=project.id)
execution = execution.wait()
print(execution.status)
execution.logs()

gray_item = dataset.items.get(filepath="/gray/red.png")
print(gray_item.filename)
