"""Uploading images in the dataset browser: many files, each with its own progress and
answer; refused files say why by name, the others are stored, the grid shows them at once."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.pages import assert_no_reload, marker_survives, results

pytestmark = pytest.mark.browser


def png(seed: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8 + seed % 5, 6), (seed % 256, 40, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


def new_dataset(api, demo, name: str) -> int:
    return api.call("POST", f"/projects/{demo.project_id}/datasets/", 201, json={"name": name}).json()["id"]


def stored_names(api, dataset_id: int) -> set[str]:
    names, path = set(), f"/datasets/{dataset_id}/items/?page_size=1000"
    body = api.call("GET", path, 200).json()
    names.update(item["name"] for item in results(body))
    return names


def upload_row(page, name: str):
    return page.locator(f'#upload-list li[data-file-name="{name}"]')


def test_dropped_files_upload_one_by_one_and_a_non_image_is_refused_by_name(page, api, demo):
    dataset_id = new_dataset(api, demo, "Dropped")
    page.goto(f"/projects/{demo.project_id}/datasets/{dataset_id}/")
    marker_survives(page)

    files = [("cat.png", "image/png", list(png(1))), ("notes.txt", "text/plain", list(b"not an image"))]
    page.evaluate(
        """files => {
            const transfer = new DataTransfer();
            for (const [name, type, bytes] of files) transfer.items.add(new File([new Uint8Array(bytes)], name, {type}));
            const target = document.getElementById("item-results") || document.body;
            for (const kind of ["dragenter", "dragover", "drop"]) {
                target.dispatchEvent(new DragEvent(kind, {dataTransfer: transfer, bubbles: true, cancelable: true}));
            }
        }""",
        files,
    )

    expect(upload_row(page, "cat.png")).to_have_attribute("data-state", "done")
    refused = upload_row(page, "notes.txt")
    expect(refused).to_have_attribute("data-state", "failed")
    expect(refused.locator(".upload__message")).to_contain_text("notes.txt: not an image")
    expect(page.locator("#upload-summary")).to_contain_text("1 uploaded")
    (item,) = [i for i in results(api.call("GET", f"/datasets/{dataset_id}/items/", 200).json())]
    expect(page.locator(f'.item-tile[data-item-id="{item["id"]}"]')).to_be_visible()
    expect(page.locator(".browser__results > .empty")).to_have_count(0)
    assert_no_reload(page)


def test_hundreds_of_picked_files_with_broken_ones_lose_nothing(page, api, demo):
    dataset_id = new_dataset(api, demo, "Picked")
    page.goto(f"/projects/{demo.project_id}/datasets/{dataset_id}/")
    marker_survives(page)
    good = [{"name": f"img-{n:03}.png", "mimeType": "image/png", "buffer": png(n)} for n in range(200)]
    broken = [
        {"name": "truncated.png", "mimeType": "image/png", "buffer": png(7)[:30]},
        {"name": "empty.jpg", "mimeType": "image/jpeg", "buffer": b""},
        {"name": "readme.md", "mimeType": "text/markdown", "buffer": b"# hello"},
    ]
    page.set_input_files("#upload-input", good[:100] + broken + good[100:])

    try:
        expect(page.locator("#upload-summary")).to_contain_text("200 uploaded", timeout=60_000)
    except AssertionError as exc:  # say which files failed, and why, not only how many
        failed = page.locator('#upload-list li[data-state="failed"]').all_inner_texts()
        raise AssertionError(f"{exc}\nfailed rows: {failed}") from None
    expect(page.locator('#upload-list li[data-state="failed"]')).to_have_count(3)
    for name in ("truncated.png", "empty.jpg", "readme.md"):
        expect(upload_row(page, name).locator(".upload__message")).to_contain_text(f"Refused: {name}")
    assert stored_names(api, dataset_id) == {f["name"] for f in good}
    expect(page.locator(".item-tile[data-item-id]")).to_have_count(200)
    assert_no_reload(page)
