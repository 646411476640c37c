from django.apps import AppConfig


class FaasConfig(AppConfig):
    name = "faas"
    verbose_name = "Functions: packages, services, slots, executions, integrations"

    def ready(self):
        from faas.services.triggers import event_record
        from workspace import events

        # Triggers hear the workspace's changes inside the transaction that made them.
        events.subscribe(event_record)
