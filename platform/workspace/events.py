"""The workspace's domain events: which entities of a project were created, updated or deleted.

Services call ``entities_changed`` inside the transaction that made the change; whoever
subscribed (the functions app's triggers, ``faas.apps``) writes what it needs in that same
transaction, so the event exists exactly when the change committed. Likewise a project's
delete calls ``project_deleting`` first, so that an app above the workspace removes what
it keeps in the project (the functions app's services, their bots and packages). No
business logic rides on Django signals: the call is explicit at each place that changes an
entity, and the workspace imports none of the apps that listen.
"""

from __future__ import annotations

from collections.abc import Callable

Listener = Callable[..., None]
_listeners: list[Listener] = []
_project_deleting: list[Listener] = []


def subscribe(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def subscribe_project_deleting(listener: Listener) -> None:
    """``listener(project=...)`` runs inside the project's delete, before its rows go."""
    if listener not in _project_deleting:
        _project_deleting.append(listener)


def project_deleting(*, project) -> None:
    for listener in _project_deleting:
        listener(project=project)


def entities_changed(
    *, project_id: int, resource: str, action: str, entities: list, deleted: bool = False, user=None
) -> None:
    """``resource``/``action`` in dtlpy's trigger words (``Item``/``Created``...). ``entities``
    are model instances; ``deleted``: they are about to be deleted (still readable now)."""
    if not entities:
        return
    for listener in _listeners:
        listener(project_id=project_id, resource=resource, action=action, entities=entities, deleted=deleted, user=user)
