"""What the repositories share: the ``Repository`` base and small helpers."""

from __future__ import annotations

from dataslot import exceptions
from dataslot.entities.base import REPOSITORIES


def one_by_name(entities, name: str, kind: str, where: str = ""):
    """The entity called ``name`` among ``entities``, or a ``NotFound`` that says so."""
    match = next((e for e in entities if e._json.get("name") == name), None)
    if match is None:
        raise exceptions.NotFound(f"{kind} not found: {name!r}{where}")
    return match


def need(value, message: str):
    if value is None:
        raise ValueError(message)
    return value


def results(body) -> list:
    """A list endpoint's rows, whether it answered a plain array or one page."""
    return body if isinstance(body, list) else (body or {}).get("results") or []


class Repository:
    """One kind of entity, scoped to the parents it was made with (``project.datasets``):
    ``get`` by id or by name, ``list`` of its parent's, ``delete`` by id.

    A subclass names its entity class, the URL's plural (``/api/<noun>/<id>/``), the
    parents it may be scoped to, and which of them owns its list
    (``/api/<parent>s/<id>/<noun>/``); its public methods keep dtlpy's signatures.
    """

    entity: type
    noun: str
    scopes: tuple[str, ...] = ("project",)
    parent: str | None = "project"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "noun" in cls.__dict__:
            REPOSITORIES[cls.noun] = cls  # how entities reach it (BaseEntity._repository)

    def __init__(self, client, **scope):
        unknown = set(scope) - set(self.scopes)
        if unknown:
            raise TypeError(f"{type(self).__name__} is scoped to {', '.join(self.scopes) or 'nothing'}, not {unknown}")
        self._client = client
        for name in self.scopes:
            setattr(self, name, scope.get(name))

    @property
    def _kind(self) -> str:
        return self.entity.__name__

    def _entity(self, json: dict):
        return self.entity(json, self._client)

    def _url(self, entity_id) -> str:
        return f"/api/{self.noun}/{entity_id}/"

    def _path(self) -> str:
        article = "an" if self.parent[0] in "aeiou" else "a"
        owner = need(getattr(self, self.parent), f"This needs {article} {self.parent}: use {self.parent}.{self.noun}")
        return f"/api/{self.parent}s/{owner.id}/{self.noun}/"

    def _where(self) -> str:
        owner = getattr(self, self.parent, None) if self.parent else None
        return f" in {self.parent} {owner.name!r}" if owner is not None and hasattr(owner, "name") else ""

    def _get(self, entity_id=None, name: str | None = None):
        if entity_id is not None:
            return self._entity(self._client.get(self._url(entity_id)))
        need(name, f"{self.noun}.get needs a name or an id")
        return one_by_name(self.list(), name, self._kind, self._where())

    def list(self) -> list:
        return [self._entity(j) for page in self._client.iter_pages(self._path()) for j in page]

    def delete(self, entity_id) -> bool:
        self._client.delete(self._url(entity_id))
        return True
