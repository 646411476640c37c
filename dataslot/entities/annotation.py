"""``dl.Annotation`` and the shapes a script draws: ``dl.Box``, ``dl.Point``,
``dl.Polygon``, ``dl.Classification``, collected by ``item.annotations.builder()``."""

from __future__ import annotations

from dataslot.entities.base import BaseEntity


class Annotation(BaseEntity):
    __slots__ = ()

    @property
    def item(self):
        from dataslot.repositories.items import ItemsRepository

        return self._cached("item", lambda: ItemsRepository(self.client).get(item_id=self.item_id))

    # Box corners, as dtlpy's annotation exposes them ([[x1, y1], [x2, y2]] on the wire).
    @property
    def left(self):
        return min(p[0] for p in self.coordinates) if self.coordinates else None

    @property
    def top(self):
        return min(p[1] for p in self.coordinates) if self.coordinates else None

    @property
    def right(self):
        return max(p[0] for p in self.coordinates) if self.coordinates else None

    @property
    def bottom(self):
        return max(p[1] for p in self.coordinates) if self.coordinates else None

    def update(self) -> Annotation:
        body = {k: self._json.get(k) for k in ("label", "coordinates", "attributes", "metadata")}
        self._replace(self.client.patch(f"/api/annotations/{self.id}/", body))
        return self

    def delete(self) -> bool:
        self.client.delete(f"/api/annotations/{self.id}/")
        return True


class _Definition:
    type = ""

    def __init__(self, label: str, attributes: dict | None = None):
        self.label = label
        self.attributes = attributes

    @property
    def coordinates(self) -> list:
        return []

    def to_json(self) -> dict:
        json = {"type": self.type, "label": self.label, "coordinates": self.coordinates}
        if self.attributes:
            json["attributes"] = self.attributes
        return json

    def __repr__(self) -> str:
        return f"{type(self).__name__}(label={self.label!r}, coordinates={self.coordinates!r})"


class Box(_Definition):
    type = "box"

    def __init__(self, top, left, bottom, right, label: str, attributes: dict | None = None):
        super().__init__(label, attributes)
        self.top, self.left, self.bottom, self.right = top, left, bottom, right

    @property
    def coordinates(self) -> list:
        return [[self.left, self.top], [self.right, self.bottom]]


class Point(_Definition):
    type = "point"

    def __init__(self, x, y, label: str, attributes: dict | None = None):
        super().__init__(label, attributes)
        self.x, self.y = x, y

    @property
    def coordinates(self) -> list:
        return [[self.x, self.y]]


class Polygon(_Definition):
    type = "polygon"

    def __init__(self, geo, label: str, attributes: dict | None = None):
        super().__init__(label, attributes)
        self.geo = [[float(x), float(y)] for x, y in geo]

    @property
    def coordinates(self) -> list:
        return self.geo


class Classification(_Definition):
    type = "classification"


class AnnotationBuilder:
    """Collects shapes for one item; ``item.annotations.upload(builder)`` saves them in one request."""

    def __init__(self, item=None):
        self.item = item
        self.annotations: list[dict] = []

    def add(
        self, annotation_definition: _Definition, attributes: dict | None = None, metadata: dict | None = None
    ) -> AnnotationBuilder:
        json = annotation_definition.to_json()
        if attributes:
            json["attributes"] = {**json.get("attributes", {}), **attributes}
        if metadata:
            json["metadata"] = metadata
        self.annotations.append(json)
        return self

    def upload(self) -> list[Annotation]:
        if self.item is None:
            raise ValueError("This builder has no item: use item.annotations.builder()")
        return self.item.annotations.upload(self)

    def to_json(self) -> list[dict]:
        return list(self.annotations)

    def __len__(self) -> int:
        return len(self.annotations)

    def __iter__(self):
        return iter(self.annotations)
