import time

import dataslot as dl  # Dataloop: import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def run(self):
        try:
            time.sleep(60)
        except Exception:  # a timeout is not an exception a function can swallow
            pass
        return "never"
