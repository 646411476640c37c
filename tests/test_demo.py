"""`manage.py load_demo`: a varied, annotated sample dataset, loaded idempotently."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from PIL import Image

from workspace.models import Annotation, Dataset, Item, Membership, Project, Task

pytestmark = pytest.mark.django_db

HINT = "log in at http://127.0.0.1:8000/login/ as user 'demo', password 'demo'"


def load_demo() -> str:
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def counts() -> dict:
    models = (get_user_model(), Project, Membership, Dataset, Item, Annotation, Task)
    return {m.__name__: m.objects.count() for m in models}


@pytest.fixture
def loaded(settings):
    settings.HOST, settings.PORT = "127.0.0.1", 8000
    first = load_demo()
    return first


def test_first_run_creates_the_demo_user_and_prints_the_login(loaded):
    assert HINT in loaded
    demo = get_user_model().objects.get(username="demo")
    assert demo.is_superuser and demo.is_staff and demo.check_password("demo")
    project = Project.objects.get(name="Demo")
    assert project.memberships.get(user=demo).role == "owner"


def test_the_dataset_has_varied_images(loaded):
    items = list(Item.objects.filter(dataset__name="Samples", dataset__project__name="Demo"))
    assert len(items) >= 40
    modes, formats, sizes, dirs, scenes = set(), set(), set(), set(), set()
    for item in items:
        with item.file.open("rb") as f:
            image = Image.open(f)
            modes.add(image.mode)
            formats.add(image.format)
            assert image.size == (item.width, item.height)
        sizes.add((item.width, item.height))
        dirs.add(item.dir)
        scenes.add(item.metadata["user"]["scene"])
    assert {"RGB", "L"} <= modes
    assert {"JPEG", "PNG"} <= formats
    assert len(sizes) >= 5
    assert (320, 240) in sizes and (1600, 1200) in sizes
    assert {"/shapes", "/gradients"} <= dirs
    assert len(scenes) >= 3
    assert len({item.metadata["system"]["mimetype"] for item in items}) == 2


def test_annotations_and_the_review_task_exist(loaded):
    types = set(Annotation.objects.filter(item__dataset__name="Samples").values_list("type", flat=True))
    assert types == {"box", "point", "polygon", "classification"}
    task = Task.objects.get(name="Review shapes")
    shapes = Item.objects.filter(dataset=task.dataset, dir="/shapes").count()
    assert task.items_total == shapes > 0
    assert set(task.items.values_list("dir", flat=True)) == {"/shapes"}
    assert list(task.assignees.values_list("username", flat=True)) == ["demo"]


def test_running_again_changes_nothing(loaded):
    before = counts()
    items_before = list(Item.objects.order_by("id").values_list("id", "name", "file"))
    second = load_demo()
    assert counts() == before
    assert list(Item.objects.order_by("id").values_list("id", "name", "file")) == items_before
    assert HINT in second  # still the default password, so still worth printing


def test_no_login_hint_once_the_demo_password_is_changed(loaded):
    demo = get_user_model().objects.get(username="demo")
    demo.set_password("something-else")
    demo.save()
    assert "password 'demo'" not in load_demo()


def test_no_demo_user_when_users_exist(settings):
    admin = get_user_model().objects.create_superuser("admin", password="admin-pass", email="")
    output = load_demo()
    assert not get_user_model().objects.filter(username="demo").exists()
    assert "password 'demo'" not in output
    project = Project.objects.get(name="Demo")
    assert project.memberships.get(user=admin).role == "owner"
    assert Item.objects.filter(dataset__project=project).count() >= 40
