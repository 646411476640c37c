"""The executions tests run on the dataset browser's fixtures: a project, its dataset and a
service whose slots run on items (tests/studio/browse/conftest.py)."""

from tests.studio.browse.conftest import dataset, media_root, other_project, project, service  # noqa: F401
