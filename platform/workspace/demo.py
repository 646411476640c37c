"""The workspace's part of the demo that ``manage.py load_demo`` loads (faas/management/
commands: the functions app adds its functions): a user, a project, generated images,
annotations and a task.

Loading is idempotent: every object is looked up by its natural key (user name, project
name, dataset name, item dir + name, task name) before it is created, so running it
again changes nothing. The images are drawn with Pillow from a fixed seed, so every run
on every machine produces the same dataset.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from PIL import Image, ImageDraw, ImageFont

from workspace.models import Annotation, Dataset, Item, Project, Task
from workspace.services.annotations import annotation_create
from workspace.services.items import item_create
from workspace.services.projects import dataset_create, project_create
from workspace.services.tasks import task_create

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo"
PROJECT_NAME = "Demo"
DATASET_NAME = "Samples"
# Where the demo's functions put what they make (RGB2GRAY's gray copies): outputs stay out
# of the dataset being labelled, its filters and its previous/next.
OUTPUTS_DATASET_NAME = f"{DATASET_NAME} outputs"
TASK_NAME = "Review shapes"
TASK_QUERY = {"$and": [{"dir": "/shapes"}, {"hidden": False}]}

SIZES = [(320, 240), (640, 480), (800, 600), (1024, 768), (1280, 960), (1600, 1200), (480, 640), (768, 768)]
PALETTE = {
    "teal": (15, 110, 120),
    "coral": (238, 108, 77),
    "gold": (240, 180, 40),
    "navy": (30, 50, 110),
    "plum": (130, 60, 120),
    "leaf": (70, 150, 70),
    "sky": (120, 180, 230),
    "slate": (70, 80, 95),
}


@dataclass
class Shape:
    kind: str  # circle | square | triangle
    color: str
    box: tuple[int, int, int, int]
    points: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Sample:
    """One generated image and what was drawn on it (the truth its annotations use)."""

    dir: str
    name: str
    scene: str
    mode: str
    format: str
    size: tuple[int, int]
    seed: int
    shapes: list[Shape] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def metadata(self) -> dict:
        return {"user": {"scene": self.scene, "generator": "load_demo", "seed": self.seed, **self.extra}}


def sample_plan() -> list[Sample]:
    """The 48 images of the demo dataset: 4 scenes x 12, spread over sizes, modes and formats."""
    plan = []
    scenes = [("shapes", "/shapes"), ("gradient", "/gradients"), ("pattern", "/patterns"), ("label", "/labels")]
    for scene_index, (scene, dir) in enumerate(scenes):
        for i in range(12):
            n = scene_index * 12 + i
            mode = "L" if i % 4 == 3 else "RGB"
            fmt = "PNG" if (i + scene_index) % 3 == 0 else "JPEG"
            size = SIZES[(i + scene_index) % len(SIZES)]
            ext = "png" if fmt == "PNG" else "jpg"
            plan.append(
                Sample(
                    dir=dir,
                    name=f"{scene}-{i + 1:02d}.{ext}",
                    scene=scene,
                    mode=mode,
                    format=fmt,
                    size=size,
                    seed=1000 + n,
                )
            )
    return plan


def _color(rng: random.Random, exclude: str | None = None) -> str:
    return rng.choice([c for c in PALETTE if c != exclude])


def _draw_shapes(sample: Sample, rng: random.Random) -> Image.Image:
    w, h = sample.size
    background = _color(rng)
    image = Image.new("RGB", (w, h), tuple(min(255, c + 110) for c in PALETTE[background]))
    draw = ImageDraw.Draw(image)
    for index in range(rng.randint(2, 4)):
        kind = ("circle", "square", "triangle")[(index + sample.seed) % 3]
        color = _color(rng, exclude=background)
        side = rng.randint(min(w, h) // 6, min(w, h) // 3)
        x1, y1 = rng.randint(4, w - side - 4), rng.randint(4, h - side - 4)
        x2, y2 = x1 + side, y1 + side
        if kind == "circle":
            draw.ellipse((x1, y1, x2, y2), fill=PALETTE[color], outline=(255, 255, 255), width=3)
            points = []
        elif kind == "square":
            draw.rectangle((x1, y1, x2, y2), fill=PALETTE[color], outline=(255, 255, 255), width=3)
            points = []
        else:
            points = [(x1 + side // 2, y1), (x2, y2), (x1, y2)]
            draw.polygon(points, fill=PALETTE[color], outline=(255, 255, 255), width=3)
        sample.shapes.append(Shape(kind=kind, color=color, box=(x1, y1, x2, y2), points=points))
    return image


def _draw_gradient(sample: Sample, rng: random.Random) -> Image.Image:
    w, h = sample.size
    kind = ("linear", "radial")[sample.seed % 2]
    base = Image.linear_gradient("L") if kind == "linear" else Image.radial_gradient("L")
    angle = rng.choice([0, 45, 90, 135, 180, 270])
    mask = base.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False).resize((w, h))
    a, b = rng.sample(list(PALETTE), 2)
    image = Image.composite(Image.new("RGB", (w, h), PALETTE[a]), Image.new("RGB", (w, h), PALETTE[b]), mask)
    sample.extra.update({"gradient": kind, "angle": angle, "colors": [a, b]})
    return image


def _draw_pattern(sample: Sample, rng: random.Random) -> Image.Image:
    w, h = sample.size
    kind = ("checkerboard", "stripes", "dots")[sample.seed % 3]
    a, b = rng.sample(list(PALETTE), 2)
    image = Image.new("RGB", (w, h), PALETTE[a])
    draw = ImageDraw.Draw(image)
    tile = max(16, min(w, h) // rng.randint(6, 14))
    for row in range(0, h, tile):
        for col in range(0, w, tile):
            odd = (row // tile + col // tile) % 2
            if kind == "checkerboard" and odd:
                draw.rectangle((col, row, col + tile - 1, row + tile - 1), fill=PALETTE[b])
            elif kind == "stripes" and (col // tile) % 2:
                draw.rectangle((col, row, col + tile - 1, row + tile - 1), fill=PALETTE[b])
            elif kind == "dots":
                r = tile // 4
                cx, cy = col + tile // 2, row + tile // 2
                draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=PALETTE[b])
    sample.extra.update({"pattern": kind, "tile": tile})
    return image


def _draw_label(sample: Sample, rng: random.Random) -> Image.Image:
    w, h = sample.size
    a = _color(rng)
    image = Image.new("RGB", (w, h), PALETTE[a])
    draw = ImageDraw.Draw(image)
    for _ in range(6):  # a few soft diagonal bands behind the text
        x = rng.randint(-w // 2, w)
        draw.line((x, 0, x + h, h), fill=tuple(min(255, c + 40) for c in PALETTE[a]), width=max(8, w // 30))
    text = f"Sample {sample.seed - 999}"
    font = ImageFont.load_default(size=max(18, w // 8))
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    x, y = (w - (right - left)) // 2, (h - (bottom - top)) // 2
    draw.text((x - left, y - top), text, font=font, fill=(255, 255, 255))
    sample.extra.update({"text": text, "textBox": [x, y, x + right - left, y + bottom - top]})
    return image


DRAWERS = {"shapes": _draw_shapes, "gradient": _draw_gradient, "pattern": _draw_pattern, "label": _draw_label}


def render(sample: Sample) -> bytes:
    """The sample's encoded image bytes (and its drawn shapes recorded on ``sample``)."""
    sample.shapes.clear()
    image = DRAWERS[sample.scene](sample, random.Random(sample.seed))
    if sample.mode == "L":
        image = image.convert("L")
    out = io.BytesIO()
    if sample.format == "JPEG":
        image.save(out, "JPEG", quality=85)
    else:
        image.save(out, "PNG", compress_level=1)  # fast; the demo is about variety, not size
    return out.getvalue()


def _annotations_for(sample: Sample) -> list[dict]:
    """What a labeller would have marked on this image, from what was drawn on it."""
    w, h = sample.size
    found = []
    if sample.scene == "shapes":
        for shape in sample.shapes:
            x1, y1, x2, y2 = shape.box
            attributes = {"color": shape.color}
            found.append(
                {"type": "box", "label": shape.kind, "coordinates": [[x1, y1], [x2, y2]], "attributes": attributes}
            )
            if shape.kind == "triangle":
                found.append(
                    {
                        "type": "polygon",
                        "label": "triangle",
                        "coordinates": [list(p) for p in shape.points],
                        "attributes": attributes,
                    }
                )
            if shape.kind == "circle":
                found.append({"type": "point", "label": "center", "coordinates": [[(x1 + x2) / 2, (y1 + y2) / 2]]})
    elif sample.scene == "gradient":
        found.append(
            {
                "type": "classification",
                "label": sample.extra["gradient"],
                "attributes": {"angle": sample.extra["angle"]},
            }
        )
    elif sample.scene == "pattern":
        found.append({"type": "classification", "label": sample.extra["pattern"]})
        found.append({"type": "point", "label": "center", "coordinates": [[w / 2, h / 2]]})
    elif sample.scene == "label":
        x1, y1, x2, y2 = sample.extra["textBox"]
        found.append(
            {
                "type": "box",
                "label": "text",
                "coordinates": [[x1, y1], [x2, y2]],
                "attributes": {"text": sample.extra["text"]},
            }
        )
        # A hexagon around the text's centre, kept inside the image.
        cx, cy, r = w / 2, h / 2, min(w, h) / 3
        hexagon = [
            [round(cx + r * math.cos(k * math.pi / 3), 1), round(cy + r * math.sin(k * math.pi / 3), 1)]
            for k in range(6)
        ]
        found.append({"type": "polygon", "label": "region", "coordinates": hexagon})
    return found


def login_url() -> str:
    host = settings.HOST if settings.HOST not in ("0.0.0.0", "::", "") else "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{settings.PORT}/login/"


def ensure_demo_user():
    """The demo user: created (a superuser, for the admin) only when there are no users at all."""
    User = get_user_model()
    if not User.objects.exists():
        return User.objects.create_superuser(username=DEMO_USERNAME, password=DEMO_PASSWORD, email="")
    return User.objects.filter(username=DEMO_USERNAME).first()


def login_hint(user) -> str | None:
    """The sign-in line to print, while the demo account still has its default password."""
    if user is None or user.username != DEMO_USERNAME or not user.check_password(DEMO_PASSWORD):
        return None
    return f"Dataslot demo: log in at {login_url()} as user '{DEMO_USERNAME}', password '{DEMO_PASSWORD}'."


def _owner(demo_user):
    if demo_user is not None:
        return demo_user
    # Users existed before the demo: a superuser owns the demo project instead.
    return get_user_model().objects.filter(is_superuser=True, is_active=True).order_by("id").first()


@dataclass
class LoadResult:
    project: Project | None = None
    owner: object = None
    dataset: Dataset | None = None
    items_created: int = 0
    annotations_created: int = 0
    task_created: bool = False
    skipped: str = ""


def load_demo(*, demo_user) -> LoadResult:
    """Create what is missing of the demo project; what exists is left as it is.

    Not one transaction: each step is keyed, so an interrupted load resumes where it
    stopped, and SQLite is not write-locked for the whole generation.
    """
    owner = _owner(demo_user)
    if owner is None:
        return LoadResult(skipped="no demo user and no superuser to own the demo project")
    result = LoadResult(owner=owner)
    project = Project.objects.filter(name=PROJECT_NAME).first() or project_create(
        name=PROJECT_NAME,
        description="Generated sample images with annotations and a review task.",
        owner=owner,
    )
    dataset = Dataset.objects.filter(project=project, name=DATASET_NAME).first() or dataset_create(
        project=project, name=DATASET_NAME
    )
    result.project, result.dataset = project, dataset
    if not Dataset.objects.filter(project=project, name=OUTPUTS_DATASET_NAME).exists():
        dataset_create(project=project, name=OUTPUTS_DATASET_NAME)

    existing = {(i.dir, i.name): i for i in Item.objects.filter(dataset=dataset).only("id", "dir", "name")}
    annotated = set(Annotation.objects.filter(item__dataset=dataset).values_list("item_id", flat=True).distinct())
    for sample in sample_plan():
        item = existing.get((sample.dir, sample.name))
        if item is not None and item.pk in annotated:
            continue
        data = render(sample)  # also records what was drawn, which the annotations use
        if item is None:
            item = item_create(
                dataset=dataset, file=data, name=sample.name, dir=sample.dir, metadata=sample.metadata(), user=owner
            )
            result.items_created += 1
        if item.pk not in annotated:
            for fields in _annotations_for(sample):
                annotation_create(item=item, user=owner, **fields)
                result.annotations_created += 1

    if not Task.objects.filter(dataset=dataset, name=TASK_NAME).exists():
        task_create(dataset=dataset, name=TASK_NAME, query=TASK_QUERY, assignees=[owner], user=owner)
        result.task_created = True
    return result
