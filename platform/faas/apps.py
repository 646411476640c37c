from django.apps import AppConfig

from workspace import events


class FaasConfig(AppConfig):
    name = "faas"
    verbose_name = "Functions: packages, services, slots, executions, integrations"

    def ready(self):
        # Imported once the models are loaded (they define models; apps.py runs before).
        from faas.selectors.services import is_service_bot
        from faas.services.services import project_services_delete
        from faas.services.trigger_events import event_record
        from workspace.selectors.projects import register_bot_check

        # The workspace names no part of this app: it is told here what listens and how to
        # know a bot. Triggers hear its changes inside the transaction that made them.
        events.subscribe(event_record)
        events.subscribe_project_deleting(project_services_delete)
        register_bot_check(is_service_bot)
