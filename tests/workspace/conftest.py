"""Fixtures of the workspace tests: a project with one member per role, images, API clients."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from workspace.services.projects import dataset_create, membership_set, project_create


def image_bytes(
    fmt: str = "JPEG",
    size: tuple[int, int] = (64, 48),
    *,
    mode: str = "RGB",
    color=(200, 30, 30),
    orientation: int | None = None,
) -> bytes:
    """A small real image; a gradient so JPEGs are not trivially uniform."""
    img = Image.new(mode, size, color)
    if mode in ("RGB", "RGBA"):
        for x in range(0, size[0], 4):
            img.putpixel((x, 0), (x % 256, 0, 0) + ((255,) if mode == "RGBA" else ()))
    out = io.BytesIO()
    options = {}
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        options["exif"] = exif.tobytes()
    img.save(out, format=fmt, **options)
    return out.getvalue()


def upload(name: str, data: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    """Each test stores files in a folder of its own, so it can check what was written."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    return root


def _user(name: str) -> User:
    return User.objects.create_user(username=name, password="pw")


@pytest.fixture
def owner(db) -> User:
    return _user("olivia")


@pytest.fixture
def developer(db) -> User:
    return _user("dev")


@pytest.fixture
def annotator(db) -> User:
    return _user("ann")


@pytest.fixture
def outsider(db) -> User:
    return _user("mallory")


@pytest.fixture
def project(owner, developer, annotator):
    project = project_create(name="Birds", description="Field photos", owner=owner)
    membership_set(project=project, user=developer, role="developer")
    membership_set(project=project, user=annotator, role="annotator")
    return project


@pytest.fixture
def dataset(project):
    return dataset_create(project=project, name="Spring")


@pytest.fixture
def api():
    """``api(user)``: an API client authenticated with the user's token."""

    def make(user: User | None = None) -> APIClient:
        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def upload_items(api, developer):
    """``upload_items(dataset, [(name, bytes), ...], **form)``: upload as the developer; returns items JSON."""

    def do(dataset, files, **form):
        payload = {"file": [upload(name, data) for name, data in files], **form}
        response = api(developer).post(f"/api/datasets/{dataset.pk}/items/", payload, format="multipart")
        assert response.status_code == 201, response.content
        return response.json()["results"]

    return do
