"""Lazy, cursor-following lists.

Iterating a ``PagedEntities`` fetches one page at a time (following the server's ``next``
cursor) and builds each entity only when it is reached, so walking a whole dataset
costs one request per page and next to nothing per item.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

# The server's maximum: fewer round trips when walking everything.
DEFAULT_PAGE_SIZE = 1000


class PagedEntities:
    def __init__(self, client, path: str, params: dict | None, factory: Callable[[dict], object]):
        self._client = client
        self._path = path
        self._params = params or {}
        self._factory = factory

    def pages(self) -> Iterator[list]:
        """Each page as a list of entities."""
        factory = self._factory
        for raw in self._client.iter_pages(self._path, self._params):
            yield [factory(j) for j in raw]

    def __iter__(self) -> Iterator:
        factory = self._factory
        for raw in self._client.iter_pages(self._path, self._params):
            for json in raw:
                yield factory(json)

    # dtlpy spelling: ``for item in pages.all()``.
    all = __iter__

    def first(self):
        """The first entity, or ``None``: one request for one page."""
        for raw in self._client.iter_pages(self._path, {**self._params, "page_size": 1}):
            return self._factory(raw[0]) if raw else None
        return None

    def to_list(self) -> list:
        return list(self)

    def __repr__(self) -> str:
        return f"PagedEntities({self._path!r}, params={self._params!r})"
