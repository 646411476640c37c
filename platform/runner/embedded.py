def start_embedded_dispatcher():
    """Filled in by the runner: starts the in-process dispatcher."""
