"""Uploading, listing, downloading and editing items through the REST API."""

import io
import json

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from tests.workspace.conftest import image_bytes, stored_files, upload
from workspace.models import Item
from workspace.services.items import item_create

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_several_files_upload_in_one_request(dataset, upload_items, media_root):
    files = [(f"bird{i}.jpg", image_bytes("JPEG", (100 + i, 50))) for i in range(3)]
    items = upload_items(dataset, files, dir="field/2024", metadata=json.dumps({"user": {"batch": 3}}))

    assert [i["name"] for i in items] == ["bird0.jpg", "bird1.jpg", "bird2.jpg"]
    first = items[0]
    assert first["datasetId"] == dataset.pk and first["projectId"] == dataset.project_id
    assert first["dir"] == "/field/2024" and first["filename"] == "/field/2024/bird0.jpg"
    assert (first["width"], first["height"], first["type"], first["hidden"]) == (100, 50, "file", False)
    assert first["size"] == len(files[0][1])
    assert first["metadata"]["user"] == {"batch": 3}
    assert first["metadata"]["system"]["mimetype"] == "image/jpeg"
    assert first["metadata"]["system"]["originalname"] == "bird0.jpg"
    assert first["url"].endswith(f"/api/items/{first['id']}/download/")
    assert first["thumbnailUrl"].endswith(f"/api/items/{first['id']}/thumbnail/")
    assert set(first) == {
        "id", "datasetId", "projectId", "name", "dir", "filename", "type", "hidden", "width", "height",
        "size", "metadata", "createdAt", "url", "thumbnailUrl",
    }  # fmt: skip
    assert Item.objects.filter(dataset=dataset).count() == 3
    assert len(stored_files(media_root)) == 6  # an original and a thumbnail each


def test_download_returns_the_original_bytes_with_their_type(api, annotator, dataset, upload_items):
    data = image_bytes("PNG", (30, 20))
    (item,) = upload_items(dataset, [("p.png", data)])
    response = api(annotator).get(f"/api/items/{item['id']}/download/", HTTP_ACCEPT="image/*")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == data


def test_thumbnail_is_a_small_decodable_image(api, annotator, dataset, upload_items):
    (item,) = upload_items(dataset, [("big.jpg", image_bytes("JPEG", (1000, 600)))])
    response = api(annotator).get(f"/api/items/{item['id']}/thumbnail/")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    thumb = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    thumb.load()
    assert max(thumb.size) <= 256 and thumb.size == (256, 154)


def test_an_exif_rotated_jpeg_is_stored_upright(api, annotator, dataset, upload_items):
    (item,) = upload_items(dataset, [("portrait.jpg", image_bytes("JPEG", (300, 200), orientation=6))])
    assert (item["width"], item["height"]) == (200, 300)
    response = api(annotator).get(f"/api/items/{item['id']}/download/")
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (200, 300)


def test_a_name_can_be_given_for_a_single_file(api, developer, dataset):
    response = api(developer).post(
        f"/api/datasets/{dataset.pk}/items/",
        {"file": [upload("IMG_0001.JPG", image_bytes())], "name": "robin.jpg"},
        format="multipart",
    )
    assert response.status_code == 201
    (item,) = response.json()["results"]
    assert item["name"] == "robin.jpg" and item["metadata"]["system"]["originalname"] == "IMG_0001.JPG"


def test_item_create_service_accepts_bytes_and_files(dataset, developer):
    from_bytes = item_create(dataset=dataset, file=image_bytes(), name="a.jpg", user=developer)
    from_file = item_create(dataset=dataset, file=ContentFile(image_bytes(), name="b.jpg"), dir="x")
    assert (from_bytes.name, from_file.name, from_file.dir) == ("a.jpg", "b.jpg", "/x")
    assert from_bytes.file.read() == image_bytes()


def test_the_list_is_filtered_by_dql(api, annotator, dataset, upload_items):
    for batch in range(3):
        upload_items(dataset, [(f"b{batch}.jpg", image_bytes())], metadata=json.dumps({"user": {"batch": batch}}))
    query = json.dumps({"metadata.user.batch": {"$gte": 1}})
    response = api(annotator).get(f"/api/datasets/{dataset.pk}/items/", {"filter": query})
    assert response.status_code == 200
    assert [i["name"] for i in response.json()["results"]] == ["b1.jpg", "b2.jpg"]
    query = json.dumps({"$or": [{"name": "b0*"}, {"metadata.system.mimetype": "image/png"}]})
    response = api(annotator).get(f"/api/datasets/{dataset.pk}/items/", {"filter": query})
    assert [i["name"] for i in response.json()["results"]] == ["b0.jpg"]


def test_a_malformed_filter_is_a_400_on_filter(api, annotator, dataset):
    url = f"/api/datasets/{dataset.pk}/items/"
    response = api(annotator).get(url, {"filter": json.dumps({"name": {"$regex": "x"}})})
    assert response.status_code == 400
    body = response.json()
    assert "$regex" in body["filter"][0] and body["detail"].startswith("filter: ")
    response = api(annotator).get(url, {"filter": "{not json"})
    assert response.status_code == 400 and "not valid JSON" in response.json()["filter"][0]


def test_cursor_pagination_walks_every_item_once(api, annotator, dataset):
    # Rows made directly: this test is about pages, not uploads.
    Item.objects.bulk_create(
        Item(dataset=dataset, name=f"{n}.jpg", width=1, height=1, size=1, file=f"x/{n}.jpg", thumbnail="t")
        for n in range(25)
    )
    client, seen, url, pages = api(annotator), [], f"/api/datasets/{dataset.pk}/items/?page_size=7", 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"next", "previous", "results"}
        seen += [i["id"] for i in body["results"]]
        url, pages = body["next"], pages + 1
    assert pages == 4
    assert seen == sorted(set(seen)) and len(seen) == 25


def test_a_page_holds_up_to_10000_items_and_a_bad_page_size_is_a_400_naming_the_limit(api, annotator, dataset):
    Item.objects.bulk_create(
        Item(dataset=dataset, name=f"{n}", width=1, height=1, size=1, file="f", thumbnail="t") for n in range(1001)
    )
    client, url = api(annotator), f"/api/datasets/{dataset.pk}/items/"
    body = client.get(url, {"page_size": 5000}).json()
    assert len(body["results"]) == 1001 and body["next"] is None
    body = client.get(url, {"page_size": 1000}).json()
    assert len(body["results"]) == 1000 and body["next"]
    for bad in ("10001", "0", "-3", "many"):
        response = client.get(url, {"page_size": bad})
        assert response.status_code == 400, bad
        assert response.json()["page_size"] in (["Must be between 1 and 10000."], ["Must be an integer."])


def test_a_page_costs_a_fixed_number_of_queries(api, annotator, dataset, django_assert_max_num_queries):
    Item.objects.bulk_create(
        Item(dataset=dataset, name=f"{n}", width=1, height=1, size=1, file="f", thumbnail="t") for n in range(50)
    )
    client = api(annotator)
    with django_assert_max_num_queries(4):  # token, membership, dataset, the page
        response = client.get(f"/api/datasets/{dataset.pk}/items/")
    assert len(response.json()["results"]) == 50


def test_patch_edits_name_dir_hidden_and_user_metadata_but_not_system(api, developer, dataset, upload_items):
    (item,) = upload_items(dataset, [("a.jpg", image_bytes())])
    response = api(developer).patch(
        f"/api/items/{item['id']}/",
        {"name": "b.jpg", "dir": "moved", "hidden": True, "metadata": {"user": {"ok": 1}, "system": {"x": 1}}},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["dir"], body["hidden"]) == ("b.jpg", "/moved", True)
    assert body["metadata"]["user"] == {"ok": 1}
    assert body["metadata"]["system"] == item["metadata"]["system"]


def test_delete_removes_the_row_and_its_files(
    api, developer, dataset, upload_items, media_root, django_capture_on_commit_callbacks
):
    (item,) = upload_items(dataset, [("a.jpg", image_bytes())])
    assert len(stored_files(media_root)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        response = api(developer).delete(f"/api/items/{item['id']}/")
    assert response.status_code == 204
    assert not Item.objects.filter(pk=item["id"]).exists()
    assert stored_files(media_root) == []


# ----- bad input: a 400 naming the field, and nothing stored ---------------------------


def _refused(api, user, dataset, media_root, payload):
    response = api(user).post(f"/api/datasets/{dataset.pk}/items/", payload, format="multipart")
    assert response.status_code == 400, response.content
    assert Item.objects.count() == 0
    assert stored_files(media_root) == []
    return response.json()


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("notes.jpg", b"plain text, not pixels", "notes.jpg: not an image"),
        ("cut.jpg", image_bytes("JPEG", (300, 300))[:-300], "cut.jpg: the image could not be decoded completely"),
    ],
)
def test_one_bad_file_refuses_the_whole_upload(api, developer, dataset, media_root, name, data, message):
    good = upload("good.jpg", image_bytes())
    body = _refused(api, developer, dataset, media_root, {"file": [good, upload(name, data), good]})
    assert body["file"][0].startswith(message)
    assert body["detail"].startswith("file: " + message)


def test_an_image_over_the_pixel_limit_is_refused(api, developer, dataset, media_root, settings):
    settings.DATASLOT_MAX_IMAGE_PIXELS = 10_000
    body = _refused(api, developer, dataset, media_root, {"file": [upload("big.png", image_bytes("PNG", (200, 200)))]})
    assert "more than the limit of 10000" in body["file"][0]


@pytest.mark.parametrize("name", ["../evil.jpg", "a\\b.jpg", "a/b.jpg"])
def test_a_bad_name_is_refused(api, developer, dataset, media_root, name):
    body = _refused(api, developer, dataset, media_root, {"file": [upload("ok.jpg", image_bytes())], "name": name})
    assert body["name"] and "must not contain" in body["name"][0]


def test_a_dir_with_dotdot_is_refused(api, developer, dataset, media_root):
    body = _refused(api, developer, dataset, media_root, {"file": [upload("ok.jpg", image_bytes())], "dir": "a/../.."})
    assert "'..'" in body["dir"][0]


def test_metadata_must_be_a_json_object(api, developer, dataset, media_root):
    body = _refused(api, developer, dataset, media_root, {"file": [upload("ok.jpg", image_bytes())], "metadata": "[1]"})
    assert body["metadata"] == ["Must be a JSON object."]


def test_name_with_several_files_is_refused(api, developer, dataset, media_root):
    files = [upload("a.jpg", image_bytes()), upload("b.jpg", image_bytes())]
    body = _refused(api, developer, dataset, media_root, {"file": files, "name": "x.jpg"})
    assert "single file" in body["name"][0]


def test_no_file_is_refused(api, developer, dataset, media_root):
    body = _refused(api, developer, dataset, media_root, {"dir": "/"})
    assert body["file"]


def test_an_upload_sent_again_with_its_key_answers_with_the_item_it_made(api, developer, dataset, media_root):
    """A retry after a lost answer: the server stored the file, the page never heard."""
    url = f"/api/datasets/{dataset.pk}/items/"
    first = api(developer).post(url, {"file": [upload("wren.jpg", image_bytes())], "key": "k-1"}, format="multipart")
    again = api(developer).post(url, {"file": [upload("wren.jpg", image_bytes())], "key": "k-1"}, format="multipart")
    other = api(developer).post(url, {"file": [upload("wren.jpg", image_bytes())], "key": "k-2"}, format="multipart")
    assert first.status_code == again.status_code == other.status_code == 201
    (made,), (answered,), (second,) = (r.json()["results"] for r in (first, again, other))
    assert answered["id"] == made["id"] and second["id"] != made["id"]
    assert made["metadata"]["system"]["uploadKey"] == "k-1"
    assert Item.objects.filter(dataset=dataset).count() == 2
    assert len(stored_files(media_root)) == 4  # two files and their thumbnails: nothing stored twice


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"file": ["a.jpg", "b.jpg"], "key": "k"}, "key"),  # a key names one file's upload
        ({"file": ["a.jpg"], "key": "k" * 65}, "key"),
        ({"file": ["a.jpg"], "key": "k", "name": "x.jpg"}, "key"),
    ],
)
def test_an_upload_key_for_several_files_too_long_or_beside_a_name_is_refused(
    api, developer, dataset, media_root, payload, field
):
    payload = {**payload, "file": [upload(name, image_bytes()) for name in payload["file"]]}
    body = _refused(api, developer, dataset, media_root, payload)
    assert body[field], body
