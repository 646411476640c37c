"""A service's bot (the user its replicas act as) acts only inside its own project.

The token is the one a replica is given (``Token`` of ``service.bot``, as the dispatcher
makes it); every request below is what a hostile function could send with it.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from faas.models import Integration, Package, Service
from faas.services.packages import package_push
from faas.services.services import service_deploy
from tests.support.functions import archive, function
from workspace.models import Dataset, Membership, Project
from workspace.services.projects import dataset_create, membership_set, project_create

pytestmark = pytest.mark.django_db

CODE = """
import dataslot as dl

class ServiceRunner(dl.BaseServiceRunner):
    def run(self):
        return None
"""
MODULES = [{"name": "m", "functions": [function("run")]}]


def _deploy(project, user, name="svc"):
    package = package_push(project=project, name="pkg", archive=archive({"main.py": CODE}), modules=MODULES, user=user)
    service, _ = service_deploy(project=project, package=package, name=name, fields={"active": False}, user=user)
    return service


@pytest.fixture
def world():
    User = get_user_model()
    alice, bob = User.objects.create_user("alice", password="pw"), User.objects.create_user("bob", password="pw")
    home = project_create(name="Home", owner=alice)
    other = project_create(name="Other", owner=bob)
    dataset_create(project=other, name="d")
    service = _deploy(home, alice)
    others_package = Package.objects.get(pk=_deploy(other, bob, name="theirs").package_id)
    # The replica's token, made as the dispatcher makes it.
    token, _ = Token.objects.get_or_create(user_id=service.bot_id)
    bot = APIClient()
    bot.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return {"bot": bot, "service": service, "home": home, "other": other, "alice": alice, "package": others_package}


def test_a_bot_token_cannot_create_a_project(world):
    before = Project.objects.count()
    response = world["bot"].post("/api/projects/", {"name": "Escape"}, format="json")
    assert response.status_code == 403, response.content
    assert "own project" in response.json()["detail"]
    assert Project.objects.count() == before


def test_a_bot_sees_only_its_own_project(world):
    bot, home, other = world["bot"], world["home"], world["other"]
    assert [p["id"] for p in bot.get("/api/projects/").json()] == [home.pk]
    assert bot.get(f"/api/projects/{home.pk}/").json()["role"] == "developer"
    for path in (
        f"/api/projects/{other.pk}/",
        f"/api/projects/{other.pk}/members/",
        f"/api/packages/{world['package'].pk}/",
    ):
        assert bot.get(path).status_code == 404, path


def test_a_bot_writes_nothing_outside_its_project(world):
    bot, other, service = world["bot"], world["other"], world["service"]
    outside = [
        ("post", f"/api/projects/{other.pk}/members/", {"username": "alice", "role": "owner"}),
        ("post", f"/api/projects/{other.pk}/datasets/", {"name": "mine"}),
    ]
    for method, path, body in outside:
        response = getattr(bot, method)(path, body, format="json")
        assert response.status_code == 404, (path, response.content)
    # Packages, services, secrets and triggers a bot changes nowhere, its own project
    # included: the same 403 whatever the project, so it tells nothing of another one.
    management = [
        ("post", f"/api/projects/{other.pk}/packages/", {"name": "p"}),
        ("post", f"/api/projects/{other.pk}/services/", {"name": "s", "packageId": world["package"].pk}),
        ("post", f"/api/projects/{other.pk}/integrations/", {"name": "X", "value": "v"}),
        ("post", f"/api/services/{service.pk}/activate-slots/", {"projectId": other.pk}),
        ("post", f"/api/projects/{world['home'].pk}/services/", {"name": "s", "packageId": world["package"].pk}),
        ("post", "/api/projects/987654321/services/", {"name": "s", "packageId": world["package"].pk}),
    ]
    for method, path, body in management:
        response = getattr(bot, method)(path, body, format="json")
        assert response.status_code == 403, (path, response.content)
        assert response.json() == {
            "detail": "A function's token cannot change packages, services, secrets or triggers."
        }
    assert not Membership.objects.filter(project=other, user=service.bot).exists()
    assert list(Dataset.objects.filter(project=other).values_list("name", flat=True)) == ["d"]
    assert not Integration.objects.exists()
    assert Service.objects.filter(project=other).count() == 1 and Service.objects.filter(name="s").count() == 0


def test_a_bot_cannot_add_members_even_to_its_own_project(world):
    response = world["bot"].post(
        f"/api/projects/{world['home'].pk}/members/", {"username": "bob", "role": "owner"}, format="json"
    )
    assert response.status_code == 403
    assert not Membership.objects.filter(project=world["home"], user__username="bob").exists()


def test_a_bot_is_never_made_a_member_and_answers_as_a_name_that_does_not_exist(world):
    """An owner adding another project's bot (or their own) learns nothing the bot's name
    would not tell them, and the bot gains no project."""
    bob = get_user_model().objects.get(username="bob")
    owner = APIClient()
    owner.force_authenticate(bob)
    url = f"/api/projects/{world['other'].pk}/members/"
    as_bot = owner.post(url, {"username": world["service"].bot.username, "role": "developer"}, format="json")
    as_nobody = owner.post(url, {"username": "no-such-name", "role": "developer"}, format="json")
    assert as_bot.status_code == as_nobody.status_code == 400
    assert as_bot.json()["username"][0].replace(world["service"].bot.username, "?") == as_nobody.json()["username"][
        0
    ].replace("no-such-name", "?")
    assert not Membership.objects.filter(project=world["other"], user=world["service"].bot).exists()
    # Nor can its role in its own project be raised through the API.
    home_owner = APIClient()
    home_owner.force_authenticate(world["alice"])
    response = home_owner.post(
        f"/api/projects/{world['home'].pk}/members/",
        {"username": world["service"].bot.username, "role": "owner"},
        format="json",
    )
    assert response.status_code == 400
    assert Membership.objects.get(project=world["home"], user=world["service"].bot).role == "developer"


def test_only_an_owner_learns_whether_a_username_exists(world):
    """A developer, an annotator and a stranger get the same answer for a real and a made-up name."""
    User = get_user_model()
    home = world["home"]
    developer, annotator, stranger = (User.objects.create_user(n, password="pw") for n in ("dev", "ann", "eve"))
    membership_set(project=home, user=developer, role="developer")
    membership_set(project=home, user=annotator, role="annotator")
    User.objects.create_user("sleeper", password="pw", is_active=False)
    url = f"/api/projects/{home.pk}/members/"
    for user, status in ((developer, 403), (annotator, 403), (stranger, 404)):
        client = APIClient()
        client.force_authenticate(user)
        real = client.post(url, {"username": "bob", "role": "annotator"}, format="json")
        made_up = client.post(url, {"username": "nobody-at-all", "role": "annotator"}, format="json")
        assert real.status_code == made_up.status_code == status
        assert real.content == made_up.content
    owner = APIClient()
    owner.force_authenticate(world["alice"])
    # The owner is told a deactivated account cannot be added exactly as a missing one.
    sleeper = owner.post(url, {"username": "sleeper", "role": "annotator"}, format="json").json()["username"][0]
    nobody = owner.post(url, {"username": "nobody", "role": "annotator"}, format="json").json()["username"][0]
    assert sleeper.replace("sleeper", "?") == nobody.replace("nobody", "?")
    assert owner.post(url, {"username": "bob", "role": "annotator"}, format="json").status_code == 201
    assert not Membership.objects.filter(project=home, user__username__in=["sleeper", "nobody"]).exists()


def test_task_assignees_do_not_tell_a_developer_which_usernames_exist(world):
    home, alice = world["home"], world["alice"]
    dataset = dataset_create(project=home, name="d")
    developer = get_user_model().objects.create_user("dev", password="pw")
    membership_set(project=home, user=developer, role="developer")
    client = APIClient()
    client.force_authenticate(developer)
    url = f"/api/projects/{home.pk}/tasks/"
    answers = [
        client.post(url, {"datasetId": dataset.pk, "name": "t", "query": {}, "assignees": [name]}, format="json")
        for name in ("bob", "zed")  # bob exists (in another project); zed does not
    ]
    assert [a.status_code for a in answers] == [400, 400]
    assert answers[0].content.replace(b"bob", b"?") == answers[1].content.replace(b"zed", b"?")
    ok = client.post(
        url, {"datasetId": dataset.pk, "name": "t", "query": {}, "assignees": [alice.username]}, format="json"
    )
    assert ok.status_code == 201 and ok.json()["assignees"] == ["alice"]
