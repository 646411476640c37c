"""Reads about services that other apps ask through hooks (``faas.apps``)."""


def is_service_bot(user) -> bool:
    """Whether the user is the bot a service's replicas act as (``Service.bot``, reverse
    ``bot_service``); the workspace asks it through ``is_function_bot``."""
    return hasattr(user, "bot_service")
