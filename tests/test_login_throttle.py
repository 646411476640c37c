"""Password guessing is bounded: after DATASLOT_LOGIN_FAILURES failed logins for a username,
or from a client address, further attempts are refused, even with the right password, on
the log-in page and at the API's token endpoint alike."""

import time

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

LIMIT = 10
ATTACKER, ELSEWHERE = "203.0.113.7", "198.51.100.20"


@pytest.fixture(autouse=True)
def fresh_counts(settings):
    # A cache of this file's own, emptied: no test starts locked out or locks out another
    # (and a Redis cache, were REDIS_URL set, is not flushed).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle"}}
    cache.clear()


def page_login(client, username, password, address=ATTACKER):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def token_login(username, password, address=ATTACKER):
    return APIClient().post("/api/auth/token/", {"username": username, "password": password}, REMOTE_ADDR=address)


def assert_page_refused(response, client):
    assert response.status_code == 429
    body = response.content.decode()
    assert 'role="alert"' in body and "Too many failed log-in attempts" in body and "15 minutes" in body
    assert "_auth_user_id" not in client.session


def test_after_the_limit_the_right_password_is_refused_on_the_page_and_others_still_log_in(client, alice, bob):
    for _ in range(LIMIT - 1):
        assert page_login(client, "alice", "guess").status_code == 200
    # Below the limit the right password still works.
    assert page_login(client, "alice", "secret-a").status_code == 302
    client.logout()
    assert page_login(client, "alice", "guess").status_code == 200  # the tenth failure

    assert_page_refused(page_login(client, "alice", "secret-a"), client)
    # The username is locked from any address, and the attacker's address for any username.
    assert_page_refused(page_login(client, "alice", "secret-a", address=ELSEWHERE), client)
    assert_page_refused(page_login(client, "bob", "secret-b"), client)
    # Bob, from his own address, is not affected.
    assert page_login(client, "bob", "secret-b", address=ELSEWHERE).status_code == 302


def test_failures_spread_over_usernames_lock_the_address(client, bob):
    for n in range(LIMIT):
        page_login(client, f"user-{n}", "guess")
    assert_page_refused(page_login(client, "bob", "secret-b"), client)
    assert page_login(client, "bob", "secret-b", address=ELSEWHERE).status_code == 302


def test_the_username_is_counted_whatever_its_case(client, alice):
    for n in range(LIMIT):
        page_login(client, "ALICE" if n % 2 else "alice", "guess", address=f"192.0.2.{n}")
    assert_page_refused(page_login(client, "alice", "secret-a", address=ELSEWHERE), client)


def test_the_lockout_ends(client, settings, alice):
    settings.DATASLOT_LOGIN_LOCKOUT_SECONDS = 1
    for _ in range(LIMIT):
        page_login(client, "alice", "guess")
    response = page_login(client, "alice", "secret-a")
    assert response.status_code == 429 and "Try again in 1 minute." in response.content.decode()
    time.sleep(1.2)
    assert page_login(client, "alice", "secret-a").status_code == 302


def test_the_limit_is_a_setting(client, settings, alice):
    settings.DATASLOT_LOGIN_FAILURES = 3
    for _ in range(3):
        page_login(client, "alice", "guess")
    assert_page_refused(page_login(client, "alice", "secret-a"), client)


def test_after_the_limit_the_token_endpoint_answers_429_even_for_the_right_password(alice, bob):
    assert token_login("alice", "secret-a").status_code == 200
    for _ in range(LIMIT):
        assert token_login("alice", "guess").status_code == 400
    refused = token_login("alice", "secret-a")
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/json"
    assert "Too many failed log-in attempts" in refused.json()["detail"]
    assert "token" not in refused.json()
    assert token_login("alice", "secret-a", address=ELSEWHERE).status_code == 429
    assert token_login("bob", "secret-b").status_code == 429
    other = token_login("bob", "secret-b", address=ELSEWHERE)
    assert other.status_code == 200 and other.json()["token"]


def test_page_and_api_failures_add_up(client, alice):
    for n in range(LIMIT):
        (page_login(client, "alice", "guess") if n % 2 else token_login("alice", "guess"))
    assert token_login("alice", "secret-a", address=ELSEWHERE).status_code == 429
    assert_page_refused(page_login(client, "alice", "secret-a", address=ELSEWHERE), client)


def test_behind_the_tls_proxy_the_client_address_is_the_last_forwarded_one(client, settings, bob):
    settings.DATASLOT_HTTPS = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    proxy = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_PROTO": "https"}
    for n in range(LIMIT):
        # What a client writes itself comes first; the proxy appends the address it saw.
        client.post(
            "/login/",
            {"username": f"user-{n}", "password": "guess"},
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, {ATTACKER}",
            **proxy,
        )
    locked = client.post("/login/", {"username": "bob", "password": "secret-b"}, HTTP_X_FORWARDED_FOR=ATTACKER, **proxy)
    assert locked.status_code == 429
    # Everyone else behind the same proxy still logs in.
    response = client.post(
        "/login/", {"username": "bob", "password": "secret-b"}, HTTP_X_FORWARDED_FOR=ELSEWHERE, **proxy
    )
    assert response.status_code == 302
