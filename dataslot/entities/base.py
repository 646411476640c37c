"""Entities: thin views over the server's JSON with snake_case attribute access.

An entity keeps the JSON it was built from; ``item.dataset_id`` reads ``datasetId``.
Setting a public attribute writes the JSON back (``service.execution_timeout = 60``), so
``update()`` sends what the user changed. Construction does no work beyond storing the
dict, which is what keeps iterating 100k items cheap.
"""

from __future__ import annotations

from functools import lru_cache

from dataslot.client import default_client

# Every repository class by the noun of its URLs ("datasets"), registered by the class
# itself (dataslot.repositories.base.Repository). The repositories make entities, so they
# sit above them; an entity reaches the one it leads to (``project.datasets``) by its noun.
REPOSITORIES: dict[str, type] = {}


@lru_cache(maxsize=1024)
def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def plain(value):
    """JSON-ready copy of a value that may hold entities or SDK objects."""
    if hasattr(value, "to_json"):
        return value.to_json()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


class BaseEntity:
    __slots__ = ("_json", "_client", "_cache")
    # snake_case attribute -> JSON key, where the names do not follow the camelCase rule.
    _aliases: dict[str, str] = {}

    def __init__(self, json: dict, client=None):
        object.__setattr__(self, "_json", json)
        object.__setattr__(self, "_client", client)
        object.__setattr__(self, "_cache", None)

    @property
    def client(self):
        if self._client is None:
            object.__setattr__(self, "_client", default_client())
        return self._client

    def _repository(self, noun: str, **scope):
        """A repository on this entity's client: ``self._repository("datasets", project=self)``."""
        return REPOSITORIES[noun](self.client, **scope)

    def _key(self, name: str) -> str:
        return self._aliases.get(name) or camel(name)

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        json = self._json
        key = self._key(name)
        if key in json:
            return json[key]
        if name in json:
            return json[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def __setattr__(self, name: str, value) -> None:
        if name.startswith("_") or hasattr(type(self), name):
            object.__setattr__(self, name, value)
        else:
            self._json[self._key(name)] = value

    def _cached(self, key: str, build):
        """Per-entity memo for lazily fetched relations (item.dataset, ...)."""
        cache = self._cache
        if cache is None:
            cache = {}
            object.__setattr__(self, "_cache", cache)
        if key not in cache:
            cache[key] = build()
        return cache[key]

    def _replace(self, json: dict) -> None:
        """Take the server's fresh JSON (after update/refresh) in place."""
        object.__setattr__(self, "_json", json)
        object.__setattr__(self, "_cache", None)

    def to_json(self) -> dict:
        return {k: plain(v) for k, v in self._json.items()}

    @property
    def id(self):
        return self._json.get("id")

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and self.id is not None and other.id == self.id

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.id))

    def __repr__(self) -> str:
        name = self._json.get("name")
        label = f", name={name!r}" if name is not None else ""
        return f"{type(self).__name__}(id={self.id!r}{label})"

    def __dir__(self):
        return sorted(set(super().__dir__()) | {_snake(k) for k in self._json})


def _snake(key: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in key)
