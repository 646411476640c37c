"""``dl.Annotation`` and the shapes a script draws: ``dl.Box``, ``dl.Point``,
``dl.Polygon``, ``dl.Classification``, collected by ``item.annotations.builder()``."""

from __future__ import annotations

import logging

from dataslot.entities.base import BaseEntity


class Annotation(BaseEntity):
    __slots__ = ()

    @property
    def item(self):
        return self._cached("item", lambda: self._repository("items").get(item_id=self.item_id))

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

    # dtlpy's order: Box(left, top, right, bottom, label).
    def __init__(self, left, top, right, bottom, label: str, attributes: dict | None = None, description=None):
        super().__init__(label, attributes)
        self.description = description
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


class AnnotationCollection:
    """Annotations of one item, as dtlpy's collection: what ``item.annotations.list()``
    returns, and (from ``item.annotations.builder()``) shapes collected for one upload.

    Iterating, ``len`` and ``[i]`` work as on a list of ``dl.Annotation``.
    """

    def __init__(self, item=None, annotations: list | None = None):
        self.item = item
        self.annotations: list[Annotation] = list(annotations or [])

    def add(
        self,
        annotation_definition,
        object_id=None,
        automated: bool = True,
        metadata: dict | None = None,
        model_info: dict | None = None,
        attributes: dict | None = None,
        **ignored,
    ) -> AnnotationCollection:
        """Add a shape (or a list of shapes). ``model_info={"name", "confidence", "model_id"}``
        is kept as ``metadata.user.model``, as dtlpy keeps it. Video options (``frame_num``...)
        mean nothing on an image: a warning says they were not applied."""
        unused = sorted(k for k, v in ignored.items() if v is not None)
        if unused:
            logging.getLogger("dataslot").warning("annotations add: %s not applied in Dataslot", ", ".join(unused))
        metadata = dict(metadata or {})
        if model_info is not None:
            if not isinstance(model_info, dict) or "confidence" not in model_info:
                raise ValueError('"model_info" must be a dict with key: "confidence"')
            confidence = float(model_info["confidence"])
            if not 0 <= confidence <= 1:
                raise ValueError('"confidence" must be a float between 0 and 1')
            user = dict(metadata.get("user") or {})
            user["model"] = {
                "confidence": confidence,
                "name": model_info.get("name"),
                "model_id": model_info.get("model_id"),
            }
            metadata["user"] = user
        if object_id is not None:
            metadata.setdefault("user", {})["objectId"] = object_id
        definitions = annotation_definition if isinstance(annotation_definition, list) else [annotation_definition]
        for definition in definitions:
            json = definition.to_json()
            if attributes:
                json["attributes"] = {**json.get("attributes", {}), **attributes}
            if metadata:
                json["metadata"] = metadata
            self.annotations.append(Annotation(json, getattr(self.item, "_client", None)))
        return self

    def upload(self) -> list[Annotation]:
        if self.item is None:
            raise ValueError("This collection has no item: use item.annotations.builder()")
        return self.item.annotations.upload(self)

    def to_json(self) -> list[dict]:
        keep = ("type", "label", "coordinates", "attributes", "metadata")
        return [{k: v for k, v in a.to_json().items() if k in keep} for a in self.annotations]

    def __len__(self) -> int:
        return len(self.annotations)

    def __iter__(self):
        return iter(self.annotations)

    def __getitem__(self, index):
        return self.annotations[index]

    def __repr__(self) -> str:
        return f"AnnotationCollection({len(self.annotations)} annotations)"


# The name this SDK used before it took dtlpy's.
AnnotationBuilder = AnnotationCollection
