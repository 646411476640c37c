import dataslot as dl  # Dataloop: import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def __init__(self, greeting: str):
        self.greeting = greeting

    def greet(self, name: str):
        return f"{self.greeting}, {name}"
