"""Reading a page's HTML in tests: its start tags, as a browser's parser sees them."""

from __future__ import annotations

from html.parser import HTMLParser


class StartTags(HTMLParser):
    """Every start tag of a page as ``(tag, attrs)``, in document order."""

    def __init__(self, html: str):
        super().__init__()
        self.found: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    def select(self, tag: str | None = None, **attrs) -> list[dict]:
        """Tags with these attribute values (``data_x=`` matches ``data-x``)."""
        return [
            a
            for t, a in self.found
            if (tag is None or t == tag) and all(a.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]

    def with_attr(self, tag: str, name: str) -> list[dict]:
        """Tags that carry this attribute, whatever its value."""
        return [a for t, a in self.found if t == tag and name in a]
