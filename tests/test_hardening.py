"""What a security review asked of the server: running behind TLS, pages that do not outlive a
logout in the browser's caches, and uploads that are never stored under the client's extension."""

import io
import json
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.test_configuration import probe
from workspace.models import Item
from workspace.services.projects import dataset_create, project_create

HTTPS_PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
names = ["SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_PROXY_SSL_HEADER", "SECURE_HSTS_SECONDS",
         "SECURE_SSL_REDIRECT"]
found = {name: getattr(settings, name) for name in names}
client = Client(SERVER_NAME="localhost")
page = client.get("/login/")
proxied = client.get("/login/", HTTP_X_FORWARDED_PROTO="https")
api = client.get("/api/projects/")
found["page"] = [page.status_code, page.get("Location")]
found["proxied"] = [proxied.status_code, proxied.get("Strict-Transport-Security")]
found["api"] = api.status_code
print(json.dumps(found))
"""


def https_probe(home: Path, **env) -> dict:
    return probe(home, HTTPS_PROBE, **env)


def test_dataslot_https_secures_cookies_trusts_the_proxy_and_redirects_pages(tmp_path):
    found = https_probe(tmp_path, DATASLOT_HTTPS="1")
    assert found["SESSION_COOKIE_SECURE"] is True and found["CSRF_COOKIE_SECURE"] is True
    assert found["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert found["SECURE_HSTS_SECONDS"] == 31_536_000
    assert found["SECURE_SSL_REDIRECT"] is True
    assert found["page"] == [301, "https://localhost/login/"]
    # Through the proxy, the page is served, with HSTS.
    assert found["proxied"] == [200, "max-age=31536000"]
    # Replicas and workers call the API directly over HTTP: not redirected (401: no token).
    assert found["api"] == 401


def test_without_dataslot_https_nothing_assumes_tls(tmp_path):
    found = https_probe(tmp_path)
    assert found["SESSION_COOKIE_SECURE"] is False and found["CSRF_COOKIE_SECURE"] is False
    assert found["SECURE_PROXY_SSL_HEADER"] is None
    assert found["SECURE_HSTS_SECONDS"] == 0 and found["SECURE_SSL_REDIRECT"] is False
    assert found["page"] == [200, None] and found["proxied"] == [200, None]


@pytest.mark.django_db
def test_a_signed_in_users_pages_are_not_stored_by_the_browser(client):
    user = get_user_model().objects.create_user("alice", password="secret-a")
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    # htmx keeps no snapshots of pages in sessionStorage either, and reloads on Back instead.
    body = response.content.decode()
    config = json.loads(re.search(r"""<meta name="htmx-config" content='([^']*)'>""", body)[1])
    assert (config["historyCacheSize"], config["refreshOnHistoryMiss"]) == (0, True)
    assert config["allowEval"] is False  # the Content-Security-Policy allows no eval
    assert body.index('name="htmx-config"') < body.index("htmx-2.0.11.min.js")


def _image(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (10, 200, 30)).save(out, format=fmt)
    return out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("fmt, stored_as", [("PPM", ".ppm"), ("TGA", ".bin"), ("PNG", ".png")])
def test_an_upload_is_stored_under_its_decoded_formats_extension_not_the_clients(settings, tmp_path, fmt, stored_as):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    owner = get_user_model().objects.create_user("olivia", password="pw")
    dataset = dataset_create(project=project_create(name="Birds", owner=owner), name="Spring")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=owner).key}")
    upload = SimpleUploadedFile("evil.html", _image(fmt), content_type="text/html")
    response = api.post(f"/api/datasets/{dataset.pk}/items/", {"file": [upload]}, format="multipart")
    assert response.status_code == 201, response.content
    item = Item.objects.get(dataset=dataset)
    assert item.name == "evil.html"  # the name is data, kept as given
    assert item.file.name.endswith(stored_as) and not item.file.name.endswith(".html")
    assert (Path(settings.MEDIA_ROOT) / item.file.name).is_file()
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.html"))


def test_a_weak_password_is_refused_where_one_is_chosen_unless_lifted_on_purpose():
    for weak in ("pw", "12345678", "password"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("seven horses graze quietly")


@pytest.mark.django_db
def test_with_the_shared_cache_unreachable_logging_in_still_works(client, settings, alice):
    # Redis away (a port nobody listens on): the login throttle reads and counts nothing,
    # and a login is answered as ever, not with a 500.
    settings.CACHES = {
        "default": {
            "BACKEND": "dataslot_server.cache.TolerantRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }
    assert client.post("/login/", {"username": "alice", "password": "wrong"}).status_code == 200
    assert client.post("/login/", {"username": "alice", "password": "secret-a"}).status_code == 302


@pytest.mark.django_db
def test_pages_run_only_this_sites_own_script_files_and_cannot_be_framed(client):
    policy = dict(
        directive.strip().split(" ", 1) for directive in client.get("/login/")["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"  # no inline script, no eval: an injected script does not run
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert policy["connect-src"] == "'self' ws://testserver"  # the live sockets, named
    assert policy["form-action"] == "'self'" and policy["base-uri"] == "'self'"


@pytest.mark.django_db
def test_the_api_docs_page_starts_swagger_ui_from_a_script_file_not_inline(client):
    user = get_user_model().objects.create_user("reader", password="pw-for-tests-only")
    client.force_login(user)
    page = client.get("/api/docs/").content.decode()
    assert "<script>" not in page and 'src="/api/docs/?script="' in page
    script = client.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript") and b"SwaggerUIBundle" in script.content
