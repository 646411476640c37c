"""The demo's functions: the package `image-processing`, pushed by `manage.py load_demo`.

It runs inside replicas, against the REST API, exactly like a user's package.
"""

import os
import time

from PIL import Image

import dataslot as dl


class ServiceRunner(dl.BaseServiceRunner):
    def rgb2gray(self, item: dl.Item):
        """A grayscale copy of the item, uploaded under /gray of the dataset "<its dataset> outputs"
        (made if missing): outputs stay out of the dataset being labelled."""
        image = Image.open(item.download(save_locally=False)).convert("L")
        stem = item.name.rsplit(".", 1)[0]
        outputs = self.outputs_dataset(item.dataset)
        uploaded = outputs.items.upload(local_path=image, remote_path="/gray", remote_name=f"{stem}-gray.png")
        return uploaded[0] if isinstance(uploaded, list) else uploaded

    @staticmethod
    def outputs_dataset(dataset: dl.Dataset) -> dl.Dataset:
        name = f"{dataset.name} outputs"
        datasets = dataset.project.datasets
        try:
            return datasets.get(dataset_name=name)
        except dl.exceptions.NotFound:
            try:
                return datasets.create(dataset_name=name)
            except dl.exceptions.BadRequest:  # made meanwhile by another run
                return datasets.get(dataset_name=name)

    def detect(self, item: dl.Item):
        """A box around the middle of the image, as a detector would return."""
        builder = item.annotations.builder()
        builder.add(
            annotation_definition=dl.Box(
                top=item.height // 4,
                left=item.width // 4,
                bottom=3 * item.height // 4,
                right=3 * item.width // 4,
                label="object",
            )
        )
        return builder.upload()[0]

    def long_job(self, item: dl.Item, progress: dl.Progress, steps: int = 20):
        """Half a second a step, with a termination checkpoint and progress each step."""
        for step in range(steps):
            self.kill_event()
            time.sleep(0.5)
            progress.update(progress=100 * (step + 1) // steps, message=f"step {step + 1} of {steps}")
            print(f"finished step {step + 1} on {item.name}")
        return {"steps": steps}

    def summarize_task(self, task: dl.Task):
        return {"task": task.name, "itemsTotal": task.items_total, "itemsDone": task.items_done}

    def describe_annotation(self, annotation: dl.Annotation):
        return {"label": annotation.label, "type": annotation.type}

    def use_secret(self, item: dl.Item):
        """Reads the DEMO_API_KEY integration; its value never reaches the logs."""
        key = os.environ["DEMO_API_KEY"]
        print(f"calling the labelling API for {item.name} with key {key}")
        return {"keyLength": len(key)}
