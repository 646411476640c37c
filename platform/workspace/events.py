"""The workspace's domain events: which entities of a project were created, updated or deleted.

Services call ``entities_changed`` inside the transaction that made the change; whoever
subscribed (the functions app's triggers, ``faas.apps``) writes what it needs in that same
transaction, so the event exists exactly when the change committed. No business logic
rides on Django signals: the call is explicit at each place that changes an entity.
"""

from __future__ import annotations

from collections.abc import Callable

Listener = Callable[..., None]
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def entities_changed(
    *, project_id: int, resource: str, action: str, entities: list, deleted: bool = False, user=None
) -> None:
    """``resource``/``action`` in dtlpy's trigger words (``Item``/``Created``...). ``entities``
    are model instances; ``deleted``: they are about to be deleted (still readable now)."""
    if not entities:
        return
    for listener in _listeners:
        listener(project_id=project_id, resource=resource, action=action, entities=entities, deleted=deleted, user=user)
