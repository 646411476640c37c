"""Bad input to packages, services and executions: a clear 400 and nothing changed."""

import io
import json
import os
import tarfile
import zipfile
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from faas.models import Execution, Package, PackageRevision, Service
from tests.support.functions import archive, function
from workspace.models import Item
from workspace.services.projects import dataset_create, membership_set, project_create

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

CODE = """
import dataslot as dl

class ServiceRunner(dl.BaseServiceRunner):
    def run(self, item: dl.Item, threshold):
        return None
    def count(self, n):
        return n
"""
MODULES = [
    {
        "name": "m",
        "functions": [function("run", ("item", "Item"), ("threshold", "Float")), function("count", ("n", "Integer"))],
    }
]


@pytest.fixture
def owner():
    user = User.objects.create_user("owner", password="pw")
    project = project_create(name="P", owner=user)
    client = APIClient()
    client.force_authenticate(user)
    return client, project


def push(client, project, *, data=None, modules=MODULES, slots=None, name="pkg"):
    form = {
        "name": name,
        "modules": json.dumps(modules),
        "archive": SimpleUploadedFile("code.zip", data if data is not None else archive({"main.py": CODE})),
    }
    if slots is not None:
        form["slots"] = json.dumps(slots)
    return client.post(f"/api/projects/{project.id}/packages/", form, format="multipart")


def assert_refused(response, field: str, words: str):
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body, body
    assert words in " ".join(body[field]), body


def zip_with(name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(name, "x = 1\n")
        zf.writestr("main.py", CODE)
    return buffer.getvalue()


def tar_with_link() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        info = tarfile.TarInfo("main.py")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        tf.addfile(info)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (zip_with("/etc/evil.py"), "absolute path"),
        (zip_with("../evil.py"), "'..'"),
        (zip_with("pkg/../../evil.py"), "'..'"),
        (tar_with_link(), "link"),
        (b"not an archive at all", "Not a zip or tar.gz"),
        (archive({"other.py": CODE}), "entry point 'main.py' is not in the archive"),
        (archive({"main.py": "def broken(:\n"}), "main.py line 1"),
    ],
)
def test_unsafe_or_incomplete_archives_are_refused(owner, data, words):
    client, project = owner
    assert_refused(push(client, project, data=data), "archive", words)
    assert not Package.objects.exists() and not PackageRevision.objects.exists()


def test_an_archive_over_the_size_limit_is_refused(owner, settings):
    settings.DATASLOT_MAX_ARCHIVE_BYTES = 1000
    client, project = owner
    assert_refused(push(client, project, data=archive({"main.py": CODE + "#" * 5000})), "archive", "limit")
    assert not Package.objects.exists()


@pytest.mark.parametrize(
    ("modules", "words"),
    [
        ([{"name": "m", "className": "Missing", "functions": [function("run")]}], "Class 'Missing' is not defined"),
        ([{"name": "m", "functions": [function("nope")]}], "function 'nope' is not a method"),
        (
            [{"name": "m", "functions": [function("run", ("item", "Item"))]}],
            "argument 'threshold' is not a declared input",
        ),
        (
            [{"name": "m", "functions": [function("run", ("item", "Picture"), ("threshold", "Float"))]}],
            "has type 'Picture'",
        ),
    ],
)
def test_modules_must_match_the_code(owner, modules, words):
    client, project = owner
    assert_refused(push(client, project, modules=modules), "modules", words)
    assert not Package.objects.exists()


@pytest.mark.parametrize(
    ("slot", "words"),
    [
        ({"moduleName": "nope", "functionName": "run"}, "module 'nope'"),
        ({"moduleName": "m", "functionName": "nope"}, "function 'nope'"),
        ({"moduleName": "m", "functionName": "run", "postAction": {"type": "explode"}}, "postAction.type"),
        ({"moduleName": "m", "functionName": "run", "displayScopes": [{"resource": "planet"}]}, "resource"),
        (
            {
                "moduleName": "m",
                "functionName": "run",
                "displayScopes": [{"resource": "item", "filter": {"name": {"$regex": "x"}}}],
            },
            "filter",
        ),
    ],
)
def test_slots_must_name_an_existing_module_and_function(owner, slot, words):
    client, project = owner
    assert_refused(push(client, project, slots=[slot]), "slots", words)
    assert not Package.objects.exists()


def test_every_push_or_update_is_a_new_revision(owner):
    client, project = owner
    first = push(client, project).json()
    again = push(client, project).json()
    assert (first["version"], again["version"], first["id"]) == (1, 2, again["id"])
    updated = client.patch(
        f"/api/packages/{first['id']}/", {"slots": [{"moduleName": "m", "functionName": "run"}]}, format="json"
    ).json()
    assert updated["version"] == 3
    assert updated["slots"][0]["postAction"] == {"type": "noAction"}
    revisions = client.get(f"/api/packages/{first['id']}/revisions/").json()
    assert [r["version"] for r in revisions] == [1, 2, 3]


@pytest.fixture
def service(owner):
    client, project = owner
    package = push(client, project).json()
    response = client.post(
        f"/api/projects/{project.id}/services/", {"name": "svc", "packageId": package["id"]}, format="json"
    )
    assert response.status_code == 201, response.content
    return client, project, package, response.json()


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "60", None])
def test_execution_timeout_must_be_a_natural_number(service, value):
    client, project, package, svc = service
    response = client.patch(f"/api/services/{svc['id']}/", {"executionTimeout": value}, format="json")
    assert_refused(response, "executionTimeout", "natural number")
    assert Service.objects.get().execution_timeout == 3600
    deploy = client.post(
        f"/api/projects/{project.id}/services/",
        {"name": "other", "packageId": package["id"], "executionTimeout": value},
        format="json",
    )
    assert_refused(deploy, "executionTimeout", "natural number")
    assert Service.objects.count() == 1


@pytest.mark.parametrize(
    ("runtime", "field", "limit"),
    [
        ({"numReplicas": 5}, "runtime.numReplicas", "DATASLOT_MAX_REPLICAS"),
        ({"concurrency": 9}, "runtime.concurrency", "DATASLOT_MAX_CONCURRENCY"),
        (
            {"autoscaler": {"type": "rabbitmq", "minReplicas": 0, "maxReplicas": 5}},
            "runtime.autoscaler.maxReplicas",
            "DATASLOT_MAX_REPLICAS",
        ),
    ],
)
def test_replicas_and_concurrency_stay_within_the_servers_limits(service, settings, runtime, field, limit):
    settings.DATASLOT_MAX_REPLICAS, settings.DATASLOT_MAX_CONCURRENCY = 4, 8
    client, project, package, svc = service
    assert_refused(client.patch(f"/api/services/{svc['id']}/", {"runtime": runtime}, format="json"), field, limit)
    deploy = client.post(
        f"/api/projects/{project.id}/services/",
        {"name": "other", "packageId": package["id"], "runtime": runtime},
        format="json",
    )
    assert_refused(deploy, field, limit)
    assert Service.objects.count() == 1 and (Service.objects.get().num_replicas, Service.objects.get().concurrency) == (
        1,
        10,
    )
    at_limit = {"numReplicas": 4, "concurrency": 8, "autoscaler": {"type": "rabbitmq", "maxReplicas": 4}}
    assert client.patch(f"/api/services/{svc['id']}/", {"runtime": at_limit}, format="json").status_code == 200
    # A limit binds a change: a service set up before the operator lowered it is still
    # updated with its runtime sent back whole (as the SDK's update() sends it).
    settings.DATASLOT_MAX_REPLICAS, settings.DATASLOT_MAX_CONCURRENCY = 2, 2
    whole = {"runtime": at_limit, "executionTimeout": 60}
    assert client.patch(f"/api/services/{svc['id']}/", whole, format="json").status_code == 200
    assert Service.objects.get().execution_timeout == 60


def test_on_reset_is_failed_or_rerun(service):
    client, _, _, svc = service
    assert_refused(client.patch(f"/api/services/{svc['id']}/", {"onReset": "retry"}, format="json"), "onReset", "rerun")
    assert Service.objects.get().on_reset == "failed"
    ok = client.patch(f"/api/services/{svc['id']}/", {"onReset": "rerun", "executionTimeout": 60}, format="json")
    assert (ok.json()["onReset"], ok.json()["executionTimeout"]) == ("rerun", 60)


def test_deploying_an_existing_name_updates_that_service(service):
    client, project, package, svc = service
    again = client.post(
        f"/api/projects/{project.id}/services/",
        {"name": "svc", "packageId": package["id"], "maxAttempts": 5},
        format="json",
    )
    assert again.status_code == 200
    assert again.json()["id"] == svc["id"] and again.json()["maxAttempts"] == 5
    assert Service.objects.count() == 1


def test_a_service_runs_as_a_bot_member_of_its_project(service):
    _, project, _, svc = service
    bot = Service.objects.get(pk=svc["id"]).bot
    assert bot.memberships.get().project == project
    assert bot.auth_token.key


@pytest.mark.parametrize(
    ("input", "words"),
    [
        ({"item": "seven", "threshold": 0.5}, "must be a Item reference"),
        ({"item": 999999, "threshold": 0.5}, "does not exist in this project"),
        ({"threshold": 0.5}, "needs input 'item'"),
        ({"item": None, "threshold": "high"}, "must be a Item reference"),
        ("not an object", "Must be an object"),
    ],
)
def test_execution_input_must_fit_the_function(service, input, words):
    client, _, _, svc = service
    response = client.post(
        f"/api/services/{svc['id']}/execute/", {"functionName": "run", "input": input}, format="json"
    )
    assert_refused(response, "input", words)
    assert not Execution.objects.exists()


@pytest.mark.parametrize(("value", "ok"), [(3, True), (3.5, False), ("3", False), (True, False)])
def test_scalar_inputs_are_type_checked(service, value, ok):
    client, _, _, svc = service
    response = client.post(
        f"/api/services/{svc['id']}/execute/", {"functionName": "count", "input": {"n": value}}, format="json"
    )
    assert response.status_code == (201 if ok else 400), response.content
    assert Execution.objects.count() == (1 if ok else 0)


def test_an_item_of_another_project_is_not_an_input(service):
    client, _, _, svc = service
    stranger = User.objects.create_user("stranger")
    other = project_create(name="Other", owner=stranger)
    dataset = dataset_create(project=other, name="d")
    item = Item.objects.create(dataset=dataset, name="x.png", width=1, height=1, size=1, file="x", thumbnail="x")
    response = client.post(
        f"/api/services/{svc['id']}/execute/",
        {"functionName": "run", "input": {"item": item.id, "threshold": 1}},
        format="json",
    )
    assert_refused(response, "input", "does not exist in this project")


def test_other_projects_functions_answer_404_and_annotators_cannot_deploy(service):
    client, project, package, svc = service
    outsider = APIClient()
    outsider.force_authenticate(User.objects.create_user("outsider"))
    for path in (
        f"/api/services/{svc['id']}/",
        f"/api/packages/{package['id']}/",
        f"/api/projects/{project.id}/executions/",
        f"/api/projects/{project.id}/slots/",
    ):
        assert outsider.get(path).status_code == 404, path
    annotator = User.objects.create_user("annotator")
    membership_set(project=project, user=annotator, role="annotator")
    client.force_authenticate(annotator)
    assert client.get(f"/api/services/{svc['id']}/").status_code == 200
    assert client.post(f"/api/services/{svc['id']}/pause/").status_code == 403
    assert Service.objects.get().active is True


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"name": "TOKEN", "value": ""}, "value", "non-empty"),
        ({"name": "TOKEN"}, "value", "non-empty"),
        ({"name": "2FAST", "value": "x"}, "name", "environment variable"),
        ({"name": "PATH", "value": "x"}, "name", "reserved"),
        ({"name": "DATASLOT_TOKEN", "value": "x"}, "name", "reserved"),
    ],
)
def test_integrations_need_a_value_and_a_usable_name(owner, body, field, words):
    client, project = owner
    assert_refused(client.post(f"/api/projects/{project.id}/integrations/", body, format="json"), field, words)
    assert not project.integrations.exists()


def test_a_module_without_functions_is_refused_at_push(owner):
    client, project = owner
    assert_refused(push(client, project, modules=[{"name": "m", "functions": []}]), "modules", "declares no functions")
    assert not Package.objects.exists()


def test_a_service_field_that_cannot_change_is_refused_not_ignored(service):
    client, _, _, svc = service
    renamed = client.patch(f"/api/services/{svc['id']}/", {"name": "other"}, format="json")
    assert_refused(renamed, "name", "deploy a new service")
    assert_refused(client.patch(f"/api/services/{svc['id']}/", {"colour": "red"}, format="json"), "colour", "Not a")
    assert Service.objects.get().name == "svc"


HOSTILE_BODIES = [
    [],
    [{"name": "x"}],
    "text",
    5,
    None,
    {"input": [1]},
    {"functionName": 7, "input": {"n": {"deep": [1]}}},
    {"selection": {"all": True, "datasetId": "x"}, "resource": "item", "panel": "browser"},
    {"selection": {"ids": "1,2"}, "resource": "item", "panel": "browser", "serviceId": "x", "functionName": "run"},
    {"selection": [1], "resource": "planet", "panel": "nowhere"},
    {"filter": {"$foo": 1}, "resource": "item"},
    {"filter": "not json", "functionName": ["run"]},
    {"slots": "all", "projectId": "x"},
    {"name": ["svc"], "packageId": {"id": 1}, "runtime": "fast", "secrets": "all", "initParams": [1]},
    {"executionTimeout": {"seconds": 60}, "maxAttempts": "3", "active": "yes", "runtime": {"concurrency": 0}},
    {"value": 12, "name": None},
]


@pytest.mark.parametrize("body", HOSTILE_BODIES, ids=lambda b: repr(b)[:40])
def test_no_functions_endpoint_answers_bad_input_with_a_500_and_every_refusal_says_why(service, body):
    client, project, package, svc = service
    integration = client.post(f"/api/projects/{project.id}/integrations/", {"name": "K", "value": "v"}, format="json")
    targets = [
        ("post", f"/api/services/{svc['id']}/execute/"),
        ("post", f"/api/services/{svc['id']}/execute-batch/"),
        ("post", f"/api/services/{svc['id']}/activate-slots/"),
        ("patch", f"/api/services/{svc['id']}/"),
        ("post", f"/api/projects/{project.id}/services/"),
        ("post", f"/api/projects/{project.id}/slots/resolve/"),
        ("post", f"/api/projects/{project.id}/slots/run/"),
        ("post", f"/api/projects/{project.id}/integrations/"),
        ("patch", f"/api/integrations/{integration.json()['id']}/"),
        ("patch", f"/api/packages/{package['id']}/"),
    ]
    for method, path in targets:
        response = getattr(client, method)(path, body, format="json")
        assert response.status_code < 500, f"{method.upper()} {path} with {body!r}: {response.status_code}"
        if response.status_code >= 400:
            assert response.json().get("detail"), f"{method.upper()} {path}: no message in {response.json()}"


def test_a_batch_needs_an_explicit_filter(service):
    client, _, _, svc = service
    response = client.post(f"/api/services/{svc['id']}/execute-batch/", {"functionName": "run"}, format="json")
    assert_refused(response, "filter", "{} for every")
    assert not Execution.objects.exists()


def test_an_annotator_terminates_only_the_executions_they_started(service):
    client, project, _, svc = service
    theirs = client.post(
        f"/api/services/{svc['id']}/execute/", {"functionName": "count", "input": {"n": 1}}, format="json"
    ).json()
    annotator = User.objects.create_user("annotator-stopper")
    membership_set(project=project, user=annotator, role="annotator")
    other = APIClient()
    other.force_authenticate(annotator)
    assert other.post(f"/api/executions/{theirs['id']}/terminate/").status_code == 403
    assert Execution.objects.get(pk=theirs["id"]).status == "created"
    from faas.models import Service as ServiceModel
    from faas.services.executions import execution_create

    mine = execution_create(
        service=ServiceModel.objects.get(pk=svc["id"]), function_name="count", input={"n": 2}, user=annotator
    )
    assert other.post(f"/api/executions/{mine.id}/terminate/").json()["status"] == "terminated"
    assert client.post(f"/api/executions/{theirs['id']}/terminate/").json()["status"] == "terminated"


def test_a_tar_gz_package_is_pushed_and_unpacks_whole(owner, tmp_path):
    client, project = owner
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        for name, text in {"main.py": CODE, "helpers/colours.py": "GRAY = 128\n"}.items():
            info = tarfile.TarInfo(name)
            info.size = len(text.encode())
            tf.addfile(info, io.BytesIO(text.encode()))
    package = push(client, project, data=buffer.getvalue())
    assert package.status_code == 201, package.content
    from faas.packaging import open_archive

    open_archive(buffer.getvalue()).extract_to(tmp_path)
    assert (tmp_path / "helpers" / "colours.py").read_text() == "GRAY = 128\n"
    assert (tmp_path / "main.py").read_text() == CODE


def test_the_package_list_shows_each_packages_newest_revision_in_constant_queries(owner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client, project = owner
    for name in ("one", "two", "three"):
        for _ in range(3):
            push(client, project, name=name)
    with CaptureQueriesContext(connection) as queries:
        listing = client.get(f"/api/projects/{project.id}/packages/").json()
    assert [(p["name"], p["version"]) for p in listing] == [("one", 3), ("two", 3), ("three", 3)]
    assert len(queries) <= 6


# --- archives are verified whole at push ---------------------------------------------


def zip_of(*members: tuple[zipfile.ZipInfo | str, bytes], compression=zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for info, data in members:
            zf.writestr(info, data)
    return buffer.getvalue()


def zip_with_bad_crc_in_a_later_member() -> bytes:
    data = bytearray(zip_of(("main.py", CODE.encode()), ("helpers.py", b"GRAY = 128\n" * 10)))
    at = data.index(b"GRAY = 128")
    data[at] ^= 0xFF  # the stored bytes no longer match the member's CRC
    return bytes(data)


def zip_with_symlink() -> bytes:
    link = zipfile.ZipInfo("helpers.py")
    link.external_attr = 0o120777 << 16  # S_IFLNK: the entry's data is the link's target
    return zip_of(("main.py", CODE.encode()), (link, b"/etc/passwd"))


def tar_of(*members: tarfile.TarInfo | tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        info = tarfile.TarInfo("main.py")
        info.size = len(CODE.encode())
        tf.addfile(info, io.BytesIO(CODE.encode()))
        for member in members:
            if isinstance(member, tuple):
                info = tarfile.TarInfo(member[0])
                info.size = len(member[1])
                tf.addfile(info, io.BytesIO(member[1]))
            else:
                tf.addfile(member)
    return buffer.getvalue()


def special(name: str, kind: bytes, **fields) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    for key, value in fields.items():
        setattr(info, key, value)
    return info


def stored_files(settings) -> set[Path]:
    return {p for p in (Path(settings.MEDIA_ROOT) / "packages").rglob("*") if p.is_file()}


def assert_nothing_stored(settings, before: set[Path]):
    assert not Package.objects.exists() and not PackageRevision.objects.exists()
    assert stored_files(settings) == before


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (zip_with_bad_crc_in_a_later_member(), "Bad CRC-32 for file 'helpers.py'"),
        (zip_with_symlink(), "symbolic link ('helpers.py')"),
        (tar_of(special("helpers.py", tarfile.SYMTYPE, linkname="/etc/passwd")), "symbolic link ('helpers.py')"),
        (tar_of(special("helpers.py", tarfile.LNKTYPE, linkname="main.py")), "hard link ('helpers.py')"),
        (tar_of(special("null", tarfile.CHRTYPE, devmajor=1, devminor=3)), "device, FIFO or other special"),
        (tar_of(special("disk", tarfile.BLKTYPE, devmajor=8, devminor=0)), "device, FIFO or other special"),
        (tar_of(special("pipe", tarfile.FIFOTYPE)), "device, FIFO or other special"),
        (tar_of(("../escape.py", b"x = 1\n")), "'..'"),
        (tar_of(("/etc/cron.d/evil", b"x = 1\n")), "absolute path"),
        (zip_of(("main.py", CODE.encode()), ("./main.py", b"other = 1\n")), "'main.py' twice"),
        (zip_of(("main.py", CODE.encode()), ("lib", b"x"), ("lib/a.py", b"y")), "both a file and a folder"),
        (tar_of()[:-40], "damaged"),
    ],
    ids=[
        "bad CRC in a later zip member",
        "zip symlink",
        "tar symlink",
        "tar hard link",
        "tar character device",
        "tar block device",
        "tar FIFO",
        "tar dot-dot path",
        "tar absolute path",
        "the same path twice",
        "a file that is also a folder",
        "a truncated tar.gz",
    ],
)
def test_an_archive_is_verified_whole_and_a_bad_one_is_refused_with_nothing_stored(owner, settings, data, words):
    client, project = owner
    before = stored_files(settings)
    assert_refused(push(client, project, data=data), "archive", words)
    assert_nothing_stored(settings, before)


def test_an_archive_that_unpacks_past_the_limits_is_refused(owner, settings):
    client, project = owner
    before = stored_files(settings)
    settings.DATASLOT_MAX_ARCHIVE_UNPACKED_BYTES = 4000
    big = zip_of(("main.py", CODE.encode()), ("data.bin", os.urandom(5000)))
    assert_refused(push(client, project, data=big), "archive", "unpacks to more than 4000 bytes")
    settings.DATASLOT_MAX_ARCHIVE_UNPACKED_BYTES = 10**9
    settings.DATASLOT_MAX_ARCHIVE_MEMBER_BYTES = 3000
    assert_refused(push(client, project, data=big), "archive", "the limit for one file is 3000")
    settings.DATASLOT_MAX_ARCHIVE_MEMBER_BYTES = 10**9
    settings.DATASLOT_MAX_ARCHIVE_MEMBERS = 20
    many = zip_of(("main.py", CODE.encode()), *[(f"m{i}.py", b"") for i in range(20)])
    assert_refused(push(client, project, data=many), "archive", "more than 20 entries")
    settings.DATASLOT_MAX_ARCHIVE_UNPACKED_BYTES = 50_000
    tar_big = tar_of(("data.bin", os.urandom(60_000)))
    assert_refused(push(client, project, data=tar_big), "archive", "unpacks to more than 50000 bytes")
    assert_nothing_stored(settings, before)


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_a_decompression_bomb_is_refused_by_its_compression_ratio(owner, settings, kind):
    client, project = owner
    before = stored_files(settings)
    zeros = b"\0" * (8 * 1024 * 1024)
    if kind == "zip":
        data = zip_of(("main.py", CODE.encode()), ("weights.bin", zeros), compression=zipfile.ZIP_DEFLATED)
    else:
        data = tar_of(("weights.bin", zeros))
    assert len(data) < 100_000
    assert_refused(push(client, project, data=data), "archive", "more than 200:1 is refused")
    assert_nothing_stored(settings, before)


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("x = " + "1+" * 100_000 + "1\n" + CODE, "nested or chained too deeply"),
        ("x = " + "-" * 100_000 + "1\n" + CODE, "nested or chained too deeply"),
        ("x = 1\x00\n" + CODE, "null bytes"),
        ("x = " + "(" * 500 + ")" * 500 + "\n" + CODE, "too many nested parentheses"),
        (CODE + "#" * (300 * 1024), "an entry point may have 262144"),
    ],
    ids=["a 100,000-term sum", "100,000 unary minuses", "a null byte", "500 nested parentheses", "over 256 KiB"],
)
def test_an_entry_point_the_parser_cannot_take_is_a_400_not_a_500(owner, settings, source, words):
    client, project = owner
    before = stored_files(settings)
    assert_refused(push(client, project, data=archive({"main.py": source})), "archive", words)
    assert_nothing_stored(settings, before)


def test_a_verified_archive_of_every_tar_compression_is_accepted(owner):
    client, project = owner
    for mode in ("w:gz", "w:bz2", "w:xz", "w"):
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode=mode) as tf:
            for name, text in {"./": None, "./main.py": CODE, "lib/util.py": "X = 1\n"}.items():
                info = tarfile.TarInfo(name)
                if text is None:
                    info.type = tarfile.DIRTYPE
                    tf.addfile(info)
                else:
                    info.size = len(text.encode())
                    tf.addfile(info, io.BytesIO(text.encode()))
        response = push(client, project, data=buffer.getvalue())
        assert response.status_code == 201, (mode, response.content)


def test_an_update_that_reuses_a_stored_archive_now_missing_is_refused(owner):
    client, project = owner
    package = push(client, project).json()
    PackageRevision.objects.get().archive.delete(save=False)
    response = client.patch(f"/api/packages/{package['id']}/", {"slots": []}, format="json")
    assert_refused(response, "archive", "The stored archive of package revision 1 is missing")
    assert Package.objects.get().version == 1 and PackageRevision.objects.count() == 1
