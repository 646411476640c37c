"""The studio's shared pages: sign-in, the project list and a project's overview."""

import pytest
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.views import serve
from django.test import override_settings

from tests.support.images import png
from workspace.services.items import item_create
from workspace.services.projects import dataset_create, membership_set, project_create
from workspace.services.tasks import task_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_project(alice):
    project = project_create(name="Birds", description="Photos of <b>birds</b>", owner=alice)
    dataset = dataset_create(project=project, name="Garden")
    for n in range(3):
        item_create(dataset=dataset, file=png((64, 48)), name=f"bird-{n}.png", dir="/garden")
    task_create(dataset=dataset, name="Count birds", query={"dir": "/garden"}, user=alice)
    return project


def test_login_page_renders(client):
    response = client.get("/login/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'lang="en"' in body
    assert 'name="username"' in body and 'name="password"' in body


def test_bad_credentials_show_an_error(client, alice):
    response = client.post("/login/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert "correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_good_credentials_sign_in_and_follow_next(client, alice, alice_project):
    response = client.post(
        "/login/", {"username": "alice", "password": "secret-a", "next": f"/projects/{alice_project.pk}/"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/projects/{alice_project.pk}/"


@pytest.mark.parametrize("path", ["/", "/projects/1/"])
def test_anonymous_visitors_are_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={path}"


def test_anonymous_admin_visitors_are_sent_to_the_same_login(client):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/login/?next=/admin/"
    assert b'name="password"' in response.content


def test_project_list_shows_only_member_projects(client, alice, bob, alice_project):
    project_create(name="Secret plans", owner=bob)
    client.force_login(alice)
    response = client.get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Birds" in body and "Garden" in body
    assert "3 items" in body and "1 task" in body
    assert "Secret plans" not in body


def test_project_list_escapes_user_content(client, alice, alice_project):
    client.force_login(alice)
    body = client.get("/").content.decode()
    assert "&lt;b&gt;birds&lt;/b&gt;" in body
    assert "<b>birds</b>" not in body


def test_project_overview_shows_datasets_tasks_and_members(client, alice, bob, alice_project):
    membership_set(project=alice_project, user=bob, role="annotator")
    client.force_login(alice)
    response = client.get(f"/projects/{alice_project.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Garden" in body and "bob" in body and "annotator" in body
    assert f"/projects/{alice_project.pk}/tasks/" in body  # the project is in the navigation


def test_non_member_gets_404_for_a_project(client, bob, alice_project):
    client.force_login(bob)
    response = client.get(f"/projects/{alice_project.pk}/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert "Birds" not in response.content.decode()


def test_server_error_page_renders_without_a_request():
    # Django renders 500.html with no context at all when a view crashes.
    from django.template.loader import render_to_string

    assert "Something went wrong" in render_to_string("500.html")


def test_logout_needs_post_and_signs_out(client, alice):
    client.force_login(alice)
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert client.get("/").status_code == 302


def test_pages_load_htmx_the_ws_extension_and_the_stylesheet(client, alice):
    client.force_login(alice)
    body = client.get("/").content.decode()
    for asset in (
        "vendor/htmx/htmx-2.0.11.min.js",
        "vendor/htmx/htmx-ext-ws-2.0.4.js",
        "css/dataslot.css",
        "js/core.js",
    ):
        assert f"/static/{asset}" in body
        assert finders.find(asset), asset
    assert 'hx-headers=\'{"X-CSRFToken": "' in body
    assert '<main id="main"' in body and 'href="#main"' in body


@override_settings(DEBUG=True)
@pytest.mark.parametrize(
    ("asset", "marker"),
    [
        ("vendor/htmx/htmx-2.0.11.min.js", b"htmx"),
        ("vendor/htmx/htmx-ext-ws-2.0.4.js", b"WebSockets Extension"),
        ("css/dataslot.css", b"--accent"),
        ("js/core.js", b"Dataslot"),
    ],
)
def test_static_files_are_served_by_staticfiles(rf, asset, marker):
    # The view django.contrib.staticfiles serves development files with.
    response = serve(rf.get(f"/static/{asset}"), asset)
    assert response.status_code == 200
    assert marker in b"".join(response.streaming_content)
