import dataslot as dl  # Dataloop: import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def run(self, item: dl.Item, progress: dl.Progress, context: dl.Context):
        context.logger.info("working on %s", item.name)
        progress.update(progress=50, message="half way")
        progress.update(progress=100, message="done")
        return {
            "execution_id": context.execution_id,
            "service": context.service.name,
            "project": context.project.name,
            "item": item.name,
        }
