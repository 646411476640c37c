"""Fixtures the studio's page tests share (the dataset browser's own are in browse/)."""

import pytest
from django.contrib.auth import get_user_model

from workspace.services.projects import membership_set, project_create


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def owner():
    return get_user_model().objects.create_user("olivia", password="pw")


@pytest.fixture
def outsider():
    return get_user_model().objects.create_user("mallory", password="pw")


@pytest.fixture
def annotator():
    return get_user_model().objects.create_user("ann", password="pw")


@pytest.fixture
def project(owner, annotator):
    """The pages' project: owned by ``owner``, with ``annotator`` as a member (modules may define their own)."""
    project = project_create(name="Birds", owner=owner)
    membership_set(project=project, user=annotator, role="annotator")
    return project
