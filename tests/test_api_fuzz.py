"""Generated requests over the whole OpenAPI schema: no input gets a 5xx, and every answer
is one the schema documents (status, content type, body).

Schemathesis reads the committed schema (docs/openapi.yaml, kept equal to the served one
by tests/test_openapi_schema.py) and sends what it generates from it, valid and invalid,
to a real server (daphne, the ASGI application, a file SQLite database of its own seeded
with the demo): as an owner of the demo project, and as a stranger who owns a project of
their own. Path ids are the seeded objects' as often as generated ones, so requests reach
real projects, items, packages and services, not only 404s.

The dispatcher is off: executions the fuzzer creates stay queued and no function runs.
Deletions run after everything else, the project's last, so the seeded objects are there
for the other operations. ``MAX_EXAMPLES`` per operation and caller bound the run (about
a minute on two cores); ``DATASLOT_FUZZ_SEED`` replays or varies it.
"""

from __future__ import annotations

import json
import os

import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.live import ROOT, LiveServer

pytestmark = pytest.mark.server

MAX_EXAMPLES = 15
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": int(os.environ.get("DATASLOT_FUZZ_SEED", "8")),
        "generation": {"max-examples": MAX_EXAMPLES, "mode": "all", "database": "none"},
        # Coverage cases are built while collecting (tens of seconds); stateful runs are not used.
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }
)
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

SEED = """
import json
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from faas.models import Execution, Package, Service
from faas.services.executions import execution_create
from faas.services.integrations import integration_create
from workspace.models import Annotation, Dataset, Item, Project, Task
from workspace.services.projects import membership_set, project_create

demo = Project.objects.get(name="Demo")
member = User.objects.create_user("fuzz-member")
membership_set(project=demo, user=member, role="owner")
extra = User.objects.create_user("fuzz-extra")  # the one member the fuzzer may remove
membership_set(project=demo, user=extra, role="annotator")
stranger = User.objects.create_user("fuzz-stranger")
project_create(name="Elsewhere", owner=stranger)
secret = integration_create(project=demo, name="FUZZ_KEY", value="v", user=member)
service = Service.objects.get(project=demo)
item = Item.objects.filter(dataset__project=demo).order_by("id").first()
for name in ("rgb2gray", "detect"):
    execution_create(service=service, function_name=name, input={"item": item.pk}, user=member)


def first(queryset, n=3):
    return list(queryset.order_by("pk").values_list("pk", flat=True)[:n])


ids = {
    "project_id": [demo.pk],
    "dataset_id": first(Dataset.objects.filter(project=demo)),
    "item_id": first(Item.objects.filter(dataset__project=demo)),
    "annotation_id": first(Annotation.objects.filter(item__dataset__project=demo)),
    "task_id": first(Task.objects.filter(dataset__project=demo)),
    "package_id": first(Package.objects.filter(project=demo)),
    "service_id": [service.pk],
    "execution_id": first(Execution.objects.filter(project=demo)),
    "integration_id": [secret.pk],
    "user_id": [extra.pk],
}
tokens = {who: Token.objects.get_or_create(user=u)[0].key for who, u in (("member", member), ("stranger", stranger))}
print(json.dumps({"ids": ids, "tokens": tokens}))
"""

schema = schemathesis.openapi.from_path(ROOT / "docs" / "openapi.yaml", config=CONFIG)
SEEDED_IDS: dict[str, list[int]] = {}


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    # A seeded object's id as often as the generated one: requests reach real objects.
    if not path_parameters:
        return st.just(path_parameters)
    return st.fixed_dictionaries(
        {
            name: st.sampled_from([value, *SEEDED_IDS[name]]) if SEEDED_IDS.get(name) else st.just(value)
            for name, value in path_parameters.items()
        }
    )


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory):
    server = LiveServer(home=tmp_path_factory.mktemp("fuzz"), DATASLOT_DISPATCHER="off")
    server.manage("load_demo")
    seeded = json.loads(server.python(SEED).strip().splitlines()[-1])
    SEEDED_IDS.update(seeded["ids"])
    server.start()
    yield server, seeded["tokens"]
    server.stop()


def _call(case, fuzzed_server, who: str) -> None:
    server, tokens = fuzzed_server
    headers = {"Authorization": f"Token {tokens[who]}"}
    case.call_and_validate(base_url=server.url, headers=headers, checks=CHECKS, timeout=30)


@schema.exclude(method="DELETE").parametrize()
def test_a_member_gets_no_server_error_and_only_documented_answers(case, fuzzed_server):
    _call(case, fuzzed_server, "member")


@schema.parametrize()
def test_a_stranger_gets_no_server_error_and_only_documented_answers(case, fuzzed_server):
    _call(case, fuzzed_server, "stranger")


@schema.include(method="DELETE").exclude(path="/api/projects/{project_id}/").parametrize()
def test_a_member_deleting_gets_no_server_error_and_only_documented_answers(case, fuzzed_server):
    _call(case, fuzzed_server, "member")


@schema.include(method="DELETE", path="/api/projects/{project_id}/").parametrize()
def test_a_member_deleting_the_project_last_gets_no_server_error(case, fuzzed_server):
    _call(case, fuzzed_server, "member")
