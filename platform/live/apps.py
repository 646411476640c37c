from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "live"
    verbose_name = "Live events over websockets"

    def ready(self):
        # Access taken away outside the services (the admin, a cascade) closes sockets too.
        from live import signals  # noqa: F401, PLC0415 - connects its receivers
