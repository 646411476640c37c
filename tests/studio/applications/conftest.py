"""The Applications tests run on the dataset browser's fixtures: a project, its dataset and a
service whose slots run on items (tests/studio/browse/conftest.py)."""

from tests.studio.browse.conftest import dataset, media_root, project, service  # noqa: F401
