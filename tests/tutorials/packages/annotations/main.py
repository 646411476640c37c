import dataslot as dl  # Dataloop: import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def detect(self, item: dl.Item):
        builder = item.annotations.builder()
        model_info = {"name": "toy-detector", "confidence": 0.87}
        builder.add(annotation_definition=dl.Box(2, 3, 12, 13, label="cat"), model_info=model_info)
        builder.add(
            annotation_definition=dl.Box(left=14, top=4, right=20, bottom=10, label="dog"), model_info=model_info
        )
        return item.annotations.upload(builder)
