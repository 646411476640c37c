from django.apps import AppConfig
from django.conf import settings

from faas import executor


class RunnerConfig(AppConfig):
    name = "runner"
    verbose_name = "Runner: replicas and the dispatcher"

    def ready(self):
        if settings.DATASLOT_EXECUTOR == "celery":
            # Imported here: Celery and its app load only in scale-out, once the apps are ready.
            from runner.tasks import publish

            # The functions app (below this one) publishes new executions through the broker.
            executor.set_publisher(publish)
