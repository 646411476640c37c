"""Fixtures the studio's page tests share (the dataset browser's own are in browse/)."""

import pytest
from django.contrib.auth import get_user_model


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def owner():
    return get_user_model().objects.create_user("olivia", password="pw")


@pytest.fixture
def outsider():
    return get_user_model().objects.create_user("mallory", password="pw")
