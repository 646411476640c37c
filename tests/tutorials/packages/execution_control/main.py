import time

import dataslot as dl  # Dataloop: import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def train(self, config: dict, progress: dl.Progress):
        for epoch in range(config["epochs"]):
            # A checkpoint: a terminated execution stops here, with its work so far saved.
            self.kill_event()
            progress.update(progress=min(99, epoch + 1), message=f"epoch {epoch}")
            time.sleep(0.05)
        return "trained"

    def fail(self):
        raise ValueError("this function always fails")
