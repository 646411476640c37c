"""``PagedEntities``: a list answer page by page, as dtlpy's pages behave.

``for page in pages`` yields pages (lists of entities), ``pages.all()`` yields every
entity, ``pages[i]`` is page ``i``, ``pages.items_count`` the number of entities. Pages
are fetched as they are reached by following the server's keyset cursor (``next``), so
walking a whole dataset costs one request per page and next to nothing per item; a page
is never held longer than it is used.
"""

from __future__ import annotations

import gc
import json
import math
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

# dtlpy's page size, and the server's maximum for most lists.
DEFAULT_PAGE_SIZE = 1000


class PagedEntities:
    def __init__(
        self,
        client,
        path: str,
        params: dict | None,
        factory: Callable[[dict], object],
        sort: tuple[str, str] | None = None,
        fetch_size: int | None = None,
    ):
        self._client = client
        self._path = path
        self._params = params or {}
        self._factory = factory
        # (field, "ascending"|"descending") when the order is not the server's (id ascending).
        self._sort = sort
        # Items asked of the server a request when more than a page: a list that allows big
        # pages (a dataset's items, 10,000) is walked in fewer round trips, then cut into pages.
        self._fetch_size = fetch_size
        self._count: int | None = None
        self._first: list | None = None

    @property
    def page_size(self) -> int:
        return int(self._params.get("page_size") or DEFAULT_PAGE_SIZE)

    # -- pages ---------------------------------------------------------------------

    def _raw_pages(self) -> Iterator[list]:
        if self._sort is not None:
            yield from self._sorted_pages()
            return
        url, query = self._path, dict(self._params)
        size = self.page_size
        walking = bool(self._fetch_size and self._fetch_size > size)
        if walking:
            query["page_size"] = self._fetch_size
        # A walk asks for the next big page while this one is used: the server's work and
        # the caller's overlap (one page ahead, never more).
        with ThreadPoolExecutor(1, thread_name_prefix="dataslot-pages") if walking else nullcontext() as ahead:
            following = None
            while url:
                body = following.result() if following is not None else _get_json(self._client, url, query)
                rows, url = _rows_and_next(body, self)
                query = None  # ``next`` already carries the query
                following = ahead.submit(_get_json, self._client, url, None) if ahead and url else None
                if len(rows) <= size:
                    yield rows
                else:
                    for start in range(0, len(rows), size):
                        yield rows[start : start + size]

    def _sorted_pages(self) -> Iterator[list]:
        # The server pages by id only; another order is made here, over the whole result.
        field, direction = self._sort
        every = PagedEntities(self._client, self._path, self._params, dict, fetch_size=self._fetch_size)
        rows = [j for page in every._raw_pages() for j in page]
        rows.sort(key=lambda j: _sort_key(_lookup(j, field)), reverse=direction == "descending")
        self._count = len(rows)
        for start in range(0, len(rows), self.page_size):
            yield rows[start : start + self.page_size]

    def __iter__(self) -> Iterator[list]:
        """Each page, as a list of entities (dtlpy: ``for page in pages: for item in page``)."""
        factory = self._factory
        for raw in self._raw_pages():
            yield [factory(j) for j in raw]

    def pages(self) -> Iterator[list]:
        return iter(self)

    def all(self) -> Iterator:
        """Every entity, one page fetched at a time."""
        factory = self._factory
        for raw in self._raw_pages():
            for row in raw:
                yield factory(row)

    def __getitem__(self, index: int) -> list:
        """Page ``index`` (from 0) as a list of entities; past the end, an empty list.
        Keyset pages are reached by walking from the first (no page is kept)."""
        if not isinstance(index, int):
            raise TypeError("pages[i] takes a page number")
        if index < 0:
            index += self.total_pages_count
        for number, page in enumerate(self):
            if number == index:
                return page
        return []

    @property
    def items(self) -> list:
        """The first page's entities (dtlpy's ``pages.items``)."""
        if self._first is None:
            self._first = self[0]
        return self._first

    # -- counts --------------------------------------------------------------------

    @property
    def items_count(self) -> int:
        """How many entities match: the server's ``count`` when it sends one, else counted
        by walking the pages once (remembered)."""
        if self._count is None:
            # ``count=true``: lists that count (dataset items) answer it at once; "more than"
            # (``countExact`` false) is not a number, so that case walks like the others.
            params = {**self._params, "page_size": 1, "count": "true"}
            body = self._client.call("GET", self._path, params=params)
            count = body.get("count") if isinstance(body, dict) else None
            if isinstance(count, int) and body.get("countExact", True):
                self._count = count
            else:
                self._count = sum(len(raw) for raw in self._raw_pages())
        return self._count

    @property
    def total_pages_count(self) -> int:
        return math.ceil(self.items_count / self.page_size)

    def __len__(self) -> int:
        # dtlpy's len(pages) is the number of entities, not of pages.
        return self.items_count

    def first(self):
        """The first entity, or ``None``: one request for one page."""
        if self._sort is not None:
            return next(self.all(), None)
        body = self._client.call("GET", self._path, params={**self._params, "page_size": 1})
        rows, _ = _rows_and_next(body, None)
        return self._factory(rows[0]) if rows else None

    def to_list(self) -> list:
        return list(self.all())

    def __repr__(self) -> str:
        return f"PagedEntities({self._path!r}, params={self._params!r})"


def _get_json(client, url: str, params: dict | None):
    """A page's JSON. A big page is many small dicts and no cycles: the cyclic collector,
    triggered again and again by those allocations, would only re-scan them (half the time)."""
    response = client.request("GET", url, params=params)
    content = response.content
    if not content:
        return None
    enabled = gc.isenabled()
    gc.disable()
    try:
        return json.loads(content)
    finally:
        if enabled:
            gc.enable()


def _rows_and_next(body, pages) -> tuple[list, str | None]:
    if isinstance(body, list):  # a list endpoint that answers a plain array is one page
        return body, None
    if pages is not None and isinstance(body.get("count"), int) and body.get("countExact", True):
        pages._count = body["count"]
    return body.get("results") or [], body.get("next")


def _lookup(json: dict, field: str):
    value = json
    for part in field.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _sort_key(value):
    # None last, numbers before text, so a mixed column still sorts.
    return (value is None, isinstance(value, str), value if value is not None else 0)
