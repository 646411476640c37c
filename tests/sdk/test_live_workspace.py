"""The workspace half of the SDK against a real server: projects, datasets, items
(every upload form), filters, annotations, tasks and the server's errors."""

import io

import numpy as np
import pytest
from PIL import Image

import dataslot as dl
from tests.support.images import png

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def dataset(live_project):
    return live_project.datasets.create(dataset_name="pictures")


def test_projects_and_datasets_by_name_and_id(live_project, dataset):
    assert dl.projects.get(project_id=live_project.id).name == live_project.name
    assert live_project.name in [p.name for p in dl.projects.list()]
    assert live_project.role == "owner"
    assert live_project.datasets.get(dataset_name="pictures").id == dataset.id
    assert live_project.datasets.get(dataset_id=dataset.id).project_id == live_project.id
    assert "pictures" in [d.name for d in live_project.datasets.list()]
    with pytest.raises(dl.exceptions.NotFound, match="nope"):
        live_project.datasets.get(dataset_name="nope")


def test_upload_accepts_path_bytes_buffer_image_and_array(dataset, tmp_path):
    path = tmp_path / "from-path.png"
    path.write_bytes(png(color="blue"))
    from_path = dataset.items.upload(local_path=str(path), remote_path="/forms")
    from_bytes = dataset.items.upload(local_path=png(color="red"), remote_path="/forms", remote_name="from-bytes.png")
    buffer = io.BytesIO(png(color="green"))
    buffer.name = "from-buffer.png"
    from_buffer = dataset.items.upload(local_path=buffer, remote_path="/forms")
    from_image = dataset.items.upload(
        local_path=Image.new("RGB", (10, 4), "white"), remote_path="/forms", remote_name="from-image.png"
    )
    from_array = dataset.items.upload(
        local_path=np.zeros((5, 7), dtype=np.uint8), remote_path="/forms", remote_name="from-array.png"
    )
    items = [from_path, from_bytes, from_buffer, from_image, from_array]
    assert [i.name for i in items] == [
        "from-path.png",
        "from-bytes.png",
        "from-buffer.png",
        "from-image.png",
        "from-array.png",
    ]
    assert all(isinstance(i, dl.Item) and i.dir == "/forms" and i.mimetype == "image/png" for i in items)
    assert (from_image.width, from_image.height) == (10, 4)
    assert (from_array.width, from_array.height) == (7, 5)
    assert from_path.filename == "/forms/from-path.png"


def test_download_to_a_file_or_a_buffer(dataset, tmp_path):
    data = png(color="purple")
    item = dataset.items.upload(local_path=data, remote_name="dl.png")
    path = item.download(local_path=str(tmp_path))
    assert path == str(tmp_path / "dl.png")
    assert open(path, "rb").read() == data
    buffer = item.download(save_locally=False)
    assert isinstance(buffer, io.BytesIO) and buffer.getvalue() == data and buffer.name == "dl.png"
    assert open(item.download(), "rb").read() == data  # default location
    assert item.dataset.id == dataset.id and item.dataset.name == "pictures"


def test_list_iterates_every_page_and_filters(live_project):
    dataset = live_project.datasets.create(dataset_name="paged")
    uploaded = dataset.items.upload(local_path=[png(color="red") for _ in range(5)], remote_path="/a")
    dataset.items.upload(local_path=png(color="red"), remote_path="/b", remote_name="only-b.png")
    assert len(uploaded) == 5
    assert len(list(dataset.items.list(page_size=2).all())) == 6
    assert [len(p) for p in dataset.items.list(page_size=2).pages()] == [2, 2, 2]
    in_b = list(dataset.items.list(filters=dl.Filters(field="dir", values="/b")).all())
    assert [i.name for i in in_b] == ["only-b.png"]
    wide = dl.Filters(field="width", values=8, operator=dl.FiltersOperations.GREATER_THAN_OR_EQUAL)
    assert dataset.items.list(filters=wide).items_count == 6
    assert dataset.items.get(filepath="/b/only-b.png").name == "only-b.png"
    hidden = dataset.items.get(item_id=uploaded[0].id)
    hidden.hidden = True
    hidden.update()
    assert dataset.items.list().items_count == 5  # the default filter leaves hidden items out


def test_annotations_builder_upload_and_list(dataset):
    item = dataset.items.upload(local_path=png(size=(100, 80)), remote_name="annotated.png")
    builder = item.annotations.builder()
    builder.add(annotation_definition=dl.Box(top=10, left=20, bottom=30, right=40, label="car"))
    builder.add(annotation_definition=dl.Point(x=5, y=6, label="eye"))
    builder.add(annotation_definition=dl.Polygon(geo=[[1, 1], [50, 1], [25, 40]], label="roof"))
    builder.add(annotation_definition=dl.Classification(label="day"))
    saved = item.annotations.upload(builder)
    assert [a.type for a in saved] == ["box", "point", "polygon", "classification"]
    listed = item.annotations.list()
    assert [a.label for a in listed] == ["car", "eye", "roof", "day"]
    box = listed[0]
    assert (box.left, box.top, box.right, box.bottom) == (20, 10, 40, 30)
    assert box.item_id == item.id and box.source == "user"
    assert box.item.id == item.id


def test_tasks_create_list_get(live_project, dataset):
    task = live_project.tasks.create(
        task_name="label forms", dataset=dataset, filters=dl.Filters(field="dir", values="/forms")
    )
    assert task.items_total == 5 and task.progress == 0
    assert live_project.tasks.get(task_id=task.id).name == "label forms"
    assert "label forms" in [t.name for t in live_project.tasks.list()]
    first = next(task.get_items().all())
    assert task.set_item_done(first.id).items_done == 1


def test_server_errors_arrive_as_sdk_exceptions(live_server_proc, live_project, dataset):
    with pytest.raises(dl.exceptions.NotFound):
        dl.datasets.get(dataset_id=10**9)
    with pytest.raises(dl.exceptions.BadRequest) as caught:
        list(dataset.items.list(filters={"width": {"$bogus": 1}}))
    assert "filter" in str(caught.value)
    anonymous = dl.ApiClient(url=live_server_proc.url)
    with pytest.raises(dl.exceptions.Unauthorized):
        dl.ProjectsRepository(anonymous).list()
    with pytest.raises(dl.exceptions.BadRequest):
        dataset.items.upload(local_path=b"not an image", remote_name="broken.png")
