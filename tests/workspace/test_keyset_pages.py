"""One keyset paging helper (workspace.selectors.paging) serves every list that pages."""

from __future__ import annotations

import pytest

from workspace.models import Dataset
from workspace.selectors.paging import keyset_page
from workspace.services.projects import dataset_create, project_create


@pytest.fixture
def datasets(django_user_model):
    project = project_create(name="Pages", owner=django_user_model.objects.create_user("pager"))
    ids = [dataset_create(project=project, name=f"d{n}").pk for n in range(7)]
    return Dataset.objects.filter(project=project), ids


def _ids(page):
    return [row.pk for row in page.rows]


@pytest.mark.django_db
def test_pages_walk_forwards_and_back_by_their_cursors(datasets):
    queryset, ids = datasets
    first = keyset_page(queryset, size=3)
    assert _ids(first) == ids[:3] and first.previous_before is None and first.next_after == ids[2]
    second = keyset_page(queryset, after=first.next_after, size=3)
    assert _ids(second) == ids[3:6] and second.previous_before == ids[3] and second.next_after == ids[5]
    last = keyset_page(queryset, after=second.next_after, size=3)
    assert _ids(last) == ids[6:] and last.next_after is None
    back = keyset_page(queryset, before=second.previous_before, size=3)
    assert _ids(back) == ids[:3] and back.previous_before is None and back.next_after == ids[2]


@pytest.mark.django_db
def test_newest_first_pages_follow_the_same_cursors_downwards(datasets):
    queryset, ids = datasets
    newest = list(reversed(ids))
    first = keyset_page(queryset, size=4, newest_first=True)
    assert _ids(first) == newest[:4] and first.next_after == newest[3]
    rest = keyset_page(queryset, after=first.next_after, size=4, newest_first=True)
    assert _ids(rest) == newest[4:] and rest.next_after is None
    back = keyset_page(queryset, before=rest.previous_before, size=4, newest_first=True)
    assert _ids(back) == newest[:4]


@pytest.mark.django_db
def test_a_stale_cursor_gives_the_first_page_only_where_asked(datasets):
    queryset, ids = datasets
    assert _ids(keyset_page(queryset, after=ids[-1] + 100, size=3)) == []
    assert _ids(keyset_page(queryset, after=ids[-1] + 100, size=3, restart_when_empty=True)) == ids[:3]
    assert _ids(keyset_page(queryset, after="not an id", size=3)) == ids[:3]
