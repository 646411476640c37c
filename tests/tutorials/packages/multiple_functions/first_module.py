import dataslot as dl  # Dataloop: import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def describe(self, item: dl.Item):
        return {"name": item.name, "width": item.width, "height": item.height}

    def tag(self, item: dl.Item, tag: str):
        item.metadata.setdefault("user", {})["tag"] = tag
        item.update()
        return item.metadata["user"]["tag"]
