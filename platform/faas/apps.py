from django.apps import AppConfig


class FaasConfig(AppConfig):
    name = "faas"
    verbose_name = "Functions: packages, services, slots, executions, integrations"
