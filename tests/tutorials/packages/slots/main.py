import io

from PIL import Image

import dataslot as dl  # Dataloop: import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def rgb2gray(self, item: dl.Item):
        gray = Image.open(item.download(save_locally=False)).convert("L")
        buffer = io.BytesIO()
        gray.save(buffer, format="PNG")
        buffer.name = item.name
        return item.dataset.items.upload(local_path=buffer, remote_path="/gray")
