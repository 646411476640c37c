import dataslot as dl  # Dataloop: import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def add(self, config: dict):
        return config["a"] + config["b"]
