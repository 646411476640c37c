"""How an annotation is drawn in SVG, in its item's pixel space: the server's one home of
that geometry, for the thumbnails' overlays (``studio.browse``) and the annotation
studio's first paint (``studio.annotate``). static/js/annotate.js draws the same while
editing."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Shape:
    tag: str  # rect | circle | polygon
    attrs: dict  # the element's attributes, in the order they are written


def svg_shape(kind: str, coordinates, *, point_radius: float) -> Shape | None:
    """None for a classification, or for coordinates that do not make the shape: one odd
    annotation never breaks a page."""
    try:
        points = [(float(x), float(y)) for x, y in coordinates or []]
    except (TypeError, ValueError):
        return None
    if kind == "box" and len(points) == 2:
        (x1, y1), (x2, y2) = points
        return Shape("rect", {"x": min(x1, x2), "y": min(y1, y2), "width": abs(x2 - x1), "height": abs(y2 - y1)})
    if kind == "polygon" and len(points) >= 3:
        return Shape("polygon", {"points": " ".join(f"{x:g},{y:g}" for x, y in points)})
    if kind == "point" and len(points) == 1:
        return Shape("circle", {"cx": points[0][0], "cy": points[0][1], "r": point_radius})
    return None
