"""How the functions domain tells whoever runs executions that there is work.

The embedded dispatcher registers itself here when the server starts; with none
registered (tests, management commands) the calls do nothing and the database still
holds every execution for the next dispatcher to find.
"""

from collections.abc import Callable

_listeners: list[Callable[[], None]] = []


def register(listener: Callable[[], None]) -> None:
    _listeners.append(listener)


def unregister(listener: Callable[[], None]) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def notify() -> None:
    for listener in list(_listeners):
        listener()
