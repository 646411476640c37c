"""dl.Filters builds the DQL the server's ``?filter=`` and slot scopes take."""

import dataslot as dl


def test_item_filters_start_with_dtlpy_defaults():
    assert dl.Filters().prepare() == {"$and": [{"hidden": False}, {"type": "file"}]}


def test_non_item_filters_have_no_defaults():
    assert dl.Filters(resource=dl.FiltersResource.ANNOTATION).prepare() == {}
    assert dl.Filters(use_defaults=False).prepare() == {}


def test_operators_become_dollar_operators():
    filters = dl.Filters(use_defaults=False)
    filters.add(field="width", values=100, operator=dl.FiltersOperations.GREATER_THAN)
    filters.add(field="height", values=50, operator=dl.FiltersOperations.LESS_THAN_OR_EQUAL)
    filters.add(field="name", values="a.png", operator=dl.FiltersOperations.NOT_EQUAL)
    filters.add(field="dir", values=["/a", "/b"], operator=dl.FiltersOperations.IN)
    filters.add(field="metadata.user.score", values=True, operator=dl.FiltersOperations.EXISTS)
    filters.add(field="type", values="file", operator=dl.FiltersOperations.EQUAL)
    assert filters.prepare() == {
        "$and": [
            {"width": {"$gt": 100}},
            {"height": {"$lte": 50}},
            {"name": {"$ne": "a.png"}},
            {"dir": {"$in": ["/a", "/b"]}},
            {"metadata.user.score": {"$exists": True}},
            {"type": "file"},
        ]
    }


def test_or_conditions_are_grouped_under_or():
    filters = dl.Filters(field="dir", values="/cats")
    filters.add(field="name", values="*.png", method=dl.FiltersMethod.OR)
    filters.add(field="name", values="*.jpg", method=dl.FiltersMethod.OR)
    assert filters.prepare() == {
        "$and": [
            {"hidden": False},
            {"type": "file"},
            {"dir": "/cats"},
            {"$or": [{"name": "*.png"}, {"name": "*.jpg"}]},
        ]
    }


def test_pop_removes_a_default_and_custom_filter_wins():
    filters = dl.Filters()
    filters.pop("hidden")
    assert filters.prepare() == {"$and": [{"type": "file"}]}
    custom = {"$or": [{"label": "cat"}, {"label": "dog"}]}
    assert dl.Filters(custom_filter=custom).prepare() == custom


def test_in_wraps_a_single_value():
    filters = dl.Filters(field="id", values=7, operator=dl.FiltersOperations.IN, use_defaults=False)
    assert filters.prepare() == {"$and": [{"id": {"$in": [7]}}]}
