"""Coordinates of annotations, validated per type and against the image's bounds."""

from django.core.exceptions import ValidationError


def _point(value, width: int, height: int) -> tuple[float, float]:
    if (
        not isinstance(value, (list, tuple))
        or len(value) != 2
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
    ):
        raise ValidationError({"coordinates": f"Each point must be [x, y] numbers, got {value!r}."})
    x, y = value
    if not (0 <= x <= width and 0 <= y <= height):
        raise ValidationError({"coordinates": f"Point [{x}, {y}] is outside the image ({width}x{height})."})
    return float(x), float(y)


def validate_coordinates(type_: str, coordinates, *, width: int, height: int) -> None:
    if not isinstance(coordinates, list):
        raise ValidationError({"coordinates": "Must be a list of [x, y] points."})
    if type_ == "classification":
        if coordinates:
            raise ValidationError({"coordinates": "A classification has no coordinates."})
        return
    points = [_point(p, width, height) for p in coordinates]
    expected = {"box": (2, 2), "point": (1, 1), "polygon": (3, None)}[type_]
    low, high = expected
    if len(points) < low or (high is not None and len(points) > high):
        need = f"exactly {low}" if low == high else f"at least {low}"
        raise ValidationError({"coordinates": f"A {type_} needs {need} point(s), got {len(points)}."})
    if type_ == "box":
        (x1, y1), (x2, y2) = points
        if x1 >= x2 or y1 >= y2:
            raise ValidationError(
                {"coordinates": "A box is [[left, top], [right, bottom]] with left < right and top < bottom."}
            )
