"""DQL: the database and the in-memory evaluator agree, and both mean what Dataloop means.

Each case runs the query through ``filter_queryset`` on real rows and through ``matches``
on each row's API-shaped record, and checks both against the names a user expects.
"""

import datetime
import json

import pytest
from django.contrib.auth import get_user_model

from workspace import dql
from workspace.api.serializers import AnnotationSerializer, ItemSerializer, TaskSerializer
from workspace.dql import QueryError, compile_query, filter_queryset, matches, parse
from workspace.models import Annotation, Dataset, Item, Project, Task

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

ITEMS = [
    # name, dir, type, hidden, width, height, size, metadata
    (
        "cat.png",
        "/animals",
        "file",
        False,
        640,
        480,
        1000,
        {
            "system": {"mimetype": "image/png"},
            "score": 0.9,
            "rank": 1,
            "reviewed": True,
            "label": "apple",
            "tags": ["a", "b"],
            "user": {"split": "train", "level": 3},
        },
    ),
    (
        "dog.jpg",
        "/animals",
        "file",
        False,
        800,
        600,
        2000,
        {
            "system": {"mimetype": "image/jpeg"},
            "score": 0.5,
            "rank": 2,
            "reviewed": False,
            "label": "Banana",
            "user": {"split": "val", "level": 10},
        },
    ),
    (
        "Cat.PNG",
        "/animals/big/",
        "file",
        False,
        1024,
        768,
        3000,
        {"system": {"mimetype": "image/png"}, "score": "high", "rank": "3", "label": "Zebra", "user": {"split": None}},
    ),
    (
        "notes.txt",
        "/",
        "file",
        True,
        1,
        1,
        10,
        {"system": {"mimetype": "text/plain"}, "reviewed": 1, "note": "multi\nline"},
    ),
    (
        "a+b (1).png",
        "/misc",
        "file",
        False,
        100,
        100,
        500,
        {"system": {"mimetype": "image/png"}, "score": 10, "note": "x*y", "user": {}},
    ),
    ("folder", "/", "dir", False, 0, 0, 0, {}),
    (
        "scan.tiff",
        "/scans",
        "file",
        True,
        2000,
        1000,
        9000,
        {"system": {"mimetype": "image/tiff"}, "score": 2, "nested": {"deep": {"value": -1.5}}, "café": "oui"},
    ),
    (
        "ümlaut.png",
        "/intl",
        "file",
        False,
        50,
        50,
        50,
        {"system": {"mimetype": "image/png"}, "score": 0.9, "reviewed": None, "label": "Ümlaut"},
    ),
]
ALL = {row[0] for row in ITEMS}

ITEM_CASES = [
    ({}, ALL),
    (
        {"$and": [{"hidden": False}, {"type": "file"}, {"metadata.system.mimetype": "image/*"}]},
        {"cat.png", "dog.jpg", "Cat.PNG", "a+b (1).png", "ümlaut.png"},
    ),
    ({"hidden": True}, {"notes.txt", "scan.tiff"}),
    ({"type": "dir"}, {"folder"}),
    (
        {"hidden": {"$ne": True}, "type": {"$in": ["file"]}},
        {"cat.png", "dog.jpg", "Cat.PNG", "a+b (1).png", "ümlaut.png"},
    ),
    # Wildcards: case-sensitive, regex characters are literal.
    ({"name": "*.png"}, {"cat.png", "a+b (1).png", "ümlaut.png"}),
    ({"name": "cat*"}, {"cat.png"}),
    ({"name": "*at*"}, {"cat.png", "Cat.PNG"}),
    ({"name": "a+b (1).png"}, {"a+b (1).png"}),
    ({"name": "a+b (*).png"}, {"a+b (1).png"}),
    ({"name": {"$nin": ["*.png", "*.PNG"]}}, {"dog.jpg", "notes.txt", "folder", "scan.tiff"}),
    # filename is dir + "/" + name, whatever slashes dir ends with.
    ({"filename": "/animals/cat.png"}, {"cat.png"}),
    ({"filename": "/animals/big/Cat.PNG"}, {"Cat.PNG"}),
    ({"filename": "/notes.txt"}, {"notes.txt"}),
    ({"filename": "/animals/*"}, {"cat.png", "dog.jpg", "Cat.PNG"}),
    ({"filename": {"$in": ["/folder", "/scans/*"]}}, {"folder", "scan.tiff"}),
    ({"filename": {"$gte": "/n"}}, {"notes.txt", "scan.tiff"}),
    ({"dir": {"$ne": "/animals"}}, ALL - {"cat.png", "dog.jpg"}),
    # Model numbers.
    ({"width": {"$gt": 640}}, {"dog.jpg", "Cat.PNG", "scan.tiff"}),
    ({"width": {"$gte": 640, "$lt": 1024}}, {"cat.png", "dog.jpg"}),
    ({"size": {"$lte": 50}}, {"notes.txt", "folder", "ümlaut.png"}),
    ({"height": {"$in": [480, 600]}}, {"cat.png", "dog.jpg"}),
    ({"height": {"$nin": [480, 600]}}, ALL - {"cat.png", "dog.jpg"}),
    ({"width": {"$exists": True}}, ALL),
    ({"width": {"$exists": False}}, set()),
    # Strings order by code point on every backend: "Cat" < "a", "Zebra" < "apple" < "Ümlaut".
    ({"name": {"$lt": "a"}}, {"Cat.PNG"}),
    ({"metadata.label": {"$gt": "Zebra"}}, {"cat.png", "ümlaut.png"}),
    ({"metadata.label": {"$lt": "a"}}, {"dog.jpg", "Cat.PNG"}),
    # JSON numbers compare as numbers, and only with numbers.
    ({"metadata.score": {"$gt": 0.5}}, {"cat.png", "a+b (1).png", "scan.tiff", "ümlaut.png"}),
    ({"metadata.score": {"$lte": 0.9}}, {"cat.png", "dog.jpg", "ümlaut.png"}),
    ({"metadata.score": 10}, {"a+b (1).png"}),
    ({"metadata.score": "high"}, {"Cat.PNG"}),
    ({"metadata.score": {"$gt": "a"}}, {"Cat.PNG"}),
    ({"metadata.score": {"$in": [0.9, "high"]}}, {"cat.png", "Cat.PNG", "ümlaut.png"}),
    ({"metadata.rank": 3}, set()),
    ({"metadata.rank": "3"}, {"Cat.PNG"}),
    ({"metadata.user.level": {"$gte": 5}}, {"dog.jpg"}),
    ({"metadata.nested.deep.value": {"$lt": 0}}, {"scan.tiff"}),
    # Booleans are not numbers.
    ({"metadata.reviewed": True}, {"cat.png"}),
    ({"metadata.reviewed": 1}, {"notes.txt"}),
    ({"metadata.reviewed": False}, {"dog.jpg"}),
    # null equals null or missing; $ne/$nin also match a missing key.
    ({"metadata.reviewed": None}, {"Cat.PNG", "a+b (1).png", "folder", "scan.tiff", "ümlaut.png"}),
    ({"metadata.reviewed": {"$ne": None}}, {"cat.png", "dog.jpg", "notes.txt"}),
    ({"metadata.reviewed": {"$ne": True}}, ALL - {"cat.png"}),
    ({"metadata.reviewed": {"$exists": True}}, {"cat.png", "dog.jpg", "notes.txt", "ümlaut.png"}),
    ({"metadata.reviewed": {"$exists": False}}, {"Cat.PNG", "a+b (1).png", "folder", "scan.tiff"}),
    ({"metadata.user.split": {"$in": ["train", None]}}, ALL - {"dog.jpg"}),
    ({"metadata.user.split": {"$nin": ["train", "val"]}}, ALL - {"cat.png", "dog.jpg"}),
    ({"metadata.system.mimetype": {"$ne": "image/*"}}, {"notes.txt", "folder"}),
    ({"metadata.system": {"$exists": False}}, {"folder"}),
    ({"metadata.user": {"$exists": True}}, {"cat.png", "dog.jpg", "Cat.PNG", "a+b (1).png"}),
    # Wildcards in JSON strings span lines; an array is not searched for members.
    ({"metadata.note": "x*y"}, {"a+b (1).png"}),
    ({"metadata.note": "multi*"}, {"notes.txt"}),
    ({"metadata.note": "*line"}, {"notes.txt"}),
    ({"metadata.café": "oui"}, {"scan.tiff"}),
    ({"metadata.tags": {"$exists": True}}, {"cat.png"}),
    ({"metadata.tags": "a"}, set()),
    # Nesting.
    ({"$or": [{"width": {"$gt": 1500}}, {"metadata.score": "high"}]}, {"scan.tiff", "Cat.PNG"}),
    ({"$or": [{}, {"name": "nothing"}]}, ALL),
    (
        {"$and": [{"$or": [{"dir": "/animals"}, {"dir": "/misc"}]}, {"metadata.score": {"$gte": 0.9}}]},
        {"cat.png", "a+b (1).png"},
    ),
    ({"$or": [{"$and": [{"hidden": True}, {"$or": [{"name": "scan*"}]}]}, {"type": "dir"}]}, {"scan.tiff", "folder"}),
    # Dates.
    ({"createdAt": {"$gte": "2000-01-01"}}, ALL),
    ({"createdAt": {"$lt": "2000-01-01T00:00:00Z"}}, set()),
]


def item_record(item: Item) -> dict:
    """What the API says of the item: the record ``matches`` is defined on."""
    return dict(ItemSerializer(item).data)


@pytest.fixture
def project() -> Project:
    return Project.objects.create(name="zoo")


@pytest.fixture
def dataset(project: Project) -> Dataset:
    return Dataset.objects.create(project=project, name="animals")


@pytest.fixture
def items(dataset: Dataset) -> list[Item]:
    for name, dir_, type_, hidden, width, height, size, metadata in ITEMS:
        Item.objects.create(
            dataset=dataset,
            name=name,
            dir=dir_,
            type=type_,
            hidden=hidden,
            width=width,
            height=height,
            size=size,
            metadata=metadata,
            file=f"datasets/{dataset.id}/items/{name}",
            thumbnail=f"datasets/{dataset.id}/thumbnails/{name}",
        )
    return list(Item.objects.all())  # read back, so metadata is what the database returns


def names_both_ways(entity: str, queryset, query, record, name_of) -> tuple[set, set]:
    in_database = {name_of(row) for row in filter_queryset(entity, queryset, query)}
    in_memory = {name_of(row) for row in queryset if matches(entity, query, record(row))}
    # The compiled condition is never SQL NULL, so excluding it selects exactly the rest
    # (slot resolution counts the selected entities that do not match this way).
    left_out = {name_of(row) for row in queryset.exclude(compile_query(entity, query))}
    assert left_out == {name_of(row) for row in queryset} - in_database, "exclude() is not the complement"
    return in_database, in_memory


@pytest.mark.parametrize(("query", "expected"), ITEM_CASES, ids=[json.dumps(q) for q, _ in ITEM_CASES])
def test_item_query_selects_the_same_items_in_the_database_and_in_memory(items, query, expected):
    in_database, in_memory = names_both_ways("item", Item.objects.all(), query, item_record, lambda i: i.name)
    assert in_database == expected
    assert in_memory == expected


def test_query_text_means_the_same_as_the_dict(items):
    query = {"$and": [{"hidden": False}, {"type": "file"}, {"metadata.system.mimetype": "image/*"}]}
    as_text = {i.name for i in filter_queryset("item", Item.objects.all(), json.dumps(query))}
    assert as_text == {i.name for i in filter_queryset("item", Item.objects.all(), query)}
    assert {i.name for i in filter_queryset("item", Item.objects.all(), None)} == ALL
    assert {i.name for i in filter_queryset("item", Item.objects.all(), "")} == ALL


def test_ids_and_dataset_ids_select_across_datasets(project, dataset, items):
    other = Dataset.objects.create(project=project, name="other")
    stray = Item.objects.create(dataset=other, name="cat.png", width=1, height=1, size=1, file="f", thumbnail="t")
    cat, dog = items[0], items[1]
    cases = [
        ({"datasetId": other.id}, {stray.id}),
        ({"datasetId": {"$ne": other.id}}, {i.id for i in items}),
        ({"id": {"$in": [cat.id, dog.id]}}, {cat.id, dog.id}),
        ({"id": {"$gt": dog.id}, "name": "cat.png"}, {stray.id}),
    ]
    for query, expected in cases:
        ids = names_both_ways("item", Item.objects.all(), query, item_record, lambda i: i.id)
        assert ids == (expected, expected), query


@pytest.mark.timeout(60)
def test_many_wildcards_cannot_stall_the_database_or_the_server(dataset):
    # A naive ".*a.*a...b" regex backtracks for hours in Python's re (SQLite's REGEXP).
    name = "a" * 250
    Item.objects.create(dataset=dataset, name=name, width=1, height=1, size=1, file="f", thumbnail="t")
    record = {"name": name, "dir": "/"}
    hostile = {"name": "*a" * 40 + "*b"}
    assert not filter_queryset("item", Item.objects.all(), hostile).exists()
    assert not matches("item", hostile, record)
    fitting = {"name": "a*" * 40 + "a"}
    assert filter_queryset("item", Item.objects.all(), fitting).count() == 1
    assert matches("item", fitting, record)


def test_a_record_without_filename_gets_it_computed(items):
    record = item_record(items[2])
    del record["filename"]
    assert matches("item", {"filename": "/animals/big/Cat.PNG"}, record)


def test_annotation_queries(dataset, items, project):
    users = get_user_model().objects
    alice, bob = users.create_user("alice"), users.create_user("bob")
    other = Dataset.objects.create(project=project, name="other")
    stray = Item.objects.create(dataset=other, name="x.png", width=9, height=9, size=1, file="f", thumbnail="t")
    cat, dog = items[0], items[1]
    rows = [
        (
            cat,
            "box",
            "cat",
            "user",
            alice,
            {"color": "black", "occluded": False, "count": 2},
            {"model": {"name": "yolo", "confidence": 0.8}},
        ),
        (cat, "point", "eye", "function", None, {"color": "green"}, {}),
        (dog, "classification", "dog", "user", bob, {"count": 10}, {"model": {"confidence": 0.95}}),
        (stray, "box", "cat", "user", alice, {}, {}),
    ]
    for item, type_, label, source, creator, attributes, metadata in rows:
        Annotation.objects.create(
            item=item,
            type=type_,
            label=label,
            source=source,
            created_by=creator,
            attributes=attributes,
            metadata=metadata,
        )

    def record(a: Annotation) -> dict:
        return dict(AnnotationSerializer(a).data)

    def key(a: Annotation) -> str:
        return f"{a.item.name}:{a.label}"

    cases = [
        ({"label": "cat"}, {"cat.png:cat", "x.png:cat"}),
        ({"creator": "alice"}, {"cat.png:cat", "x.png:cat"}),
        ({"creator": {"$ne": "alice"}}, {"cat.png:eye", "dog.jpg:dog"}),
        ({"creator": None}, {"cat.png:eye"}),
        ({"creator": {"$nin": ["b*", None]}}, {"cat.png:cat", "x.png:cat"}),
        ({"creator": {"$gt": "alice"}}, {"dog.jpg:dog"}),
        ({"attributes.color": "b*"}, {"cat.png:cat"}),
        ({"attributes.occluded": False}, {"cat.png:cat"}),
        ({"attributes.count": {"$gt": 5}}, {"dog.jpg:dog"}),
        ({"attributes.color": {"$exists": False}}, {"dog.jpg:dog", "x.png:cat"}),
        ({"metadata.model.confidence": {"$gte": 0.9}}, {"dog.jpg:dog"}),
        ({"metadata.model.name": {"$ne": "yolo"}}, {"cat.png:eye", "dog.jpg:dog", "x.png:cat"}),
        ({"itemId": cat.id}, {"cat.png:cat", "cat.png:eye"}),
        ({"datasetId": other.id}, {"x.png:cat"}),
        ({"source": "function"}, {"cat.png:eye"}),
        ({"type": {"$in": ["box", "point"]}, "datasetId": dataset.id}, {"cat.png:cat", "cat.png:eye"}),
        ({"$or": [{"attributes.count": {"$lt": 3}}, {"label": "eye"}]}, {"cat.png:cat", "cat.png:eye"}),
        # The join to the creator must not drop annotations without one from the other branch.
        ({"$or": [{"creator": {"$gt": "b"}}, {"label": "eye"}]}, {"dog.jpg:dog", "cat.png:eye"}),
        ({"$or": [{"creator": "b*"}, {"label": "eye"}]}, {"dog.jpg:dog", "cat.png:eye"}),
    ]
    queryset = Annotation.objects.select_related("item", "created_by")
    for query, expected in cases:
        assert names_both_ways("annotation", queryset, query, record, key) == (expected, expected), query


def test_task_queries(dataset, project):
    other = Dataset.objects.create(project=project, name="other")
    Task.objects.create(
        dataset=dataset, name="Review cats", status="open", due_date=datetime.date(2024, 5, 1), metadata={"priority": 1}
    )
    Task.objects.create(
        dataset=dataset, name="Label dogs", status="in-progress", metadata={"priority": 3, "team": "eu"}
    )
    Task.objects.create(dataset=other, name="Audit", status="completed", due_date=datetime.date(2024, 6, 15))

    def record(t: Task) -> dict:
        return dict(TaskSerializer(t).data)

    cases = [
        ({"dueDate": {"$lt": "2024-06-01"}}, {"Review cats"}),
        ({"dueDate": "2024-06-15"}, {"Audit"}),
        ({"dueDate": None}, {"Label dogs"}),
        ({"dueDate": {"$ne": "2024-05-01"}}, {"Label dogs", "Audit"}),
        ({"status": {"$in": ["open", "in-progress"]}}, {"Review cats", "Label dogs"}),
        ({"name": "*cats"}, {"Review cats"}),
        ({"metadata.priority": {"$gte": 2}}, {"Label dogs"}),
        ({"metadata.team": {"$exists": False}}, {"Review cats", "Audit"}),
        ({"datasetId": other.id}, {"Audit"}),
        ({"createdAt": {"$gte": "2000-01-01T00:00:00+00:00"}}, {"Review cats", "Label dogs", "Audit"}),
    ]
    for query, expected in cases:
        got = names_both_ways("task", Task.objects.all(), query, record, lambda t: t.name)
        assert got == (expected, expected), query


ERROR_CASES = [
    ("item", "{not json", "query"),
    ("item", "[1, 2]", "query"),
    ("item", '{"width": NaN}', "query"),
    ("item", "[" * 100_000, "query"),
    ("item", {"nosuch": 1}, "nosuch"),
    ("item", {"attributes.x": 1}, "attributes.x"),
    ("item", {"$and": [{"hidden": False}, {"metadata.x": {"$foo": 1}}]}, "$and[1].metadata.x.$foo"),
    ("item", {"$nor": [{"hidden": False}]}, "$nor"),
    ("item", {"$and": {"hidden": False}}, "$and"),
    ("item", {"$or": []}, "$or"),
    ("item", {"$or": [{"hidden": False}, 1]}, "$or[1]"),
    ("item", {"name": {"$in": "cat.png"}}, "name.$in"),
    ("item", {"name": {"$nin": ["a", {"b": 1}]}}, "name.$nin[1]"),
    ("item", {"name": {"$eq": "a", "size": 1}}, "name.size"),
    ("item", {"name": {}}, "name"),
    ("item", {"name": ["a", "b"]}, "name"),
    ("item", {"name": "a\x00b"}, "name"),
    ("item", {"width": "wide"}, "width"),
    ("item", {"width": {"$gt": [1]}}, "width.$gt"),
    ("item", {"width": {"$gt": None}}, "width.$gt"),
    ("item", {"hidden": 1}, "hidden"),
    ("item", {"hidden": {"$lt": True}}, "hidden.$lt"),
    ("item", {"hidden": {"$exists": "yes"}}, "hidden.$exists"),
    ("item", {"createdAt": {"$gt": "yesterday"}}, "createdAt.$gt"),
    ("item", {"metadata": {"x": 1}}, "metadata"),
    ("item", {"metadata..x": 1}, "metadata..x"),
    ("item", {"metadata.tags.0": "a"}, "metadata.tags.0"),
    ("item", {'metadata.a"b': 1}, 'metadata.a"b'),
    ("item", {"metadata.x": {"$gt": {"a": 1}}}, "metadata.x.$gt"),
    ("item", {"metadata.x": {"$gt": True}}, "metadata.x.$gt"),
    ("item", {"metadata.x": {"$eq": [1]}}, "metadata.x.$eq"),
    ("item", {"metadata.x": 2**70}, "metadata.x"),
    ("item", {1: "a"}, "1"),
    ("annotation", {"filename": "x"}, "filename"),
    ("task", {"dueDate": "2024-02-30"}, "dueDate"),
    ("task", {"dueDate": {"$gte": "2024-05-01T10:00:00"}}, "dueDate.$gte"),
]


@pytest.mark.parametrize(
    ("entity", "query", "path"), ERROR_CASES, ids=[f"{e}:{str(q)[:40]}" for e, q, _ in ERROR_CASES]
)
def test_malformed_queries_name_the_offending_part(entity, query, path):
    for attempt in (lambda: compile_query(entity, query), lambda: matches(entity, query, {})):
        with pytest.raises(QueryError) as caught:
            attempt()
        assert caught.value.path == path
        assert str(caught.value) == f"{path}: {caught.value.message}"
        assert isinstance(caught.value, ValueError)


def test_nesting_is_capped():
    query: dict = {"hidden": False}
    for _ in range(dql.MAX_DEPTH + 1):
        query = {"$and": [query]}
    with pytest.raises(QueryError, match="nested too deeply") as caught:
        compile_query("item", query)
    assert caught.value.path == ".".join(["$and[0]"] * dql.MAX_DEPTH + ["$and"])


def test_clauses_are_capped():
    with pytest.raises(QueryError, match="too many clauses") as caught:
        compile_query("item", {"id": {"$in": list(range(dql.MAX_CLAUSES + 50))}})
    assert caught.value.path == f"id.$in[{dql.MAX_CLAUSES - 1}]"
    with pytest.raises(QueryError, match="too many clauses"):
        compile_query("item", {"$or": [{"name": str(i)} for i in range(dql.MAX_CLAUSES)]})
    compile_query("item", {"id": {"$in": list(range(dql.MAX_CLAUSES - 1))}})  # just under the cap


def test_parse():
    assert parse(None) == {} and parse("") == {} and parse("  ") == {}
    assert parse('{"hidden": false}') == {"hidden": False}
    assert parse({"type": "file"}) == {"type": "file"}
    with pytest.raises(QueryError):
        parse(42)


def test_an_unknown_entity_is_a_programming_error():
    with pytest.raises(ValueError) as caught:
        compile_query("dataset", {})
    assert not isinstance(caught.value, QueryError)
