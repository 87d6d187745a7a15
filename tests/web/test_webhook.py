"""The webhook route: only posts with the secret header, only updates, at most 1 MB, each stored once."""

import json
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest
from sqlmodel import Session, select

from storage.models import InboxUpdate
from tests.web.conftest import running
from web.app import WebConfig, create_app

SECRET = "the-Webhook_secret-0123456789"
PATH = "/telegram/webhook"
UPDATE = {"update_id": 41, "message": {"message_id": 1, "date": 0, "chat": {"id": 7, "type": "private"}}}


def stored(engine) -> dict[int, str | None]:
    with Session(engine) as session:
        return {row.update_id: row.body for row in session.exec(select(InboxUpdate)).all()}


@dataclass
class Hook:
    """The running app in webhook mode: ``post`` sends a body (with the secret unless told otherwise)."""

    post: Callable[..., httpx.Response]
    woken: list[int]  # one item per wake-up of the worker
    url: str


@pytest.fixture
def hook(engine):
    woken: list[int] = []
    app = create_app(
        engine, WebConfig(webhook_path=PATH, webhook_secret=SECRET), on_update=lambda: woken.append(1)
    )
    with running(app) as url, httpx.Client(base_url=url, timeout=10) as client:

        def post(body: bytes | str, secret: str | None = SECRET, **headers: str) -> httpx.Response:
            if secret is not None:
                headers["X-Telegram-Bot-Api-Secret-Token"] = secret
            return client.post(PATH, content=body, headers=headers)

        yield Hook(post, woken, url)


def test_an_update_with_the_secret_is_stored_as_posted_and_wakes_the_worker(hook, engine):
    post, woken = hook.post, hook.woken
    body = json.dumps(UPDATE, ensure_ascii=False)
    answer = post(body)
    assert answer.status_code == 200
    assert stored(engine) == {41: body}
    assert woken == [1]


def test_a_redelivered_update_is_accepted_and_stored_once(hook, engine):
    post, woken = hook.post, hook.woken
    assert post(json.dumps(UPDATE)).status_code == 200
    assert post(json.dumps({**UPDATE, "message": {"text": "other"}})).status_code == 200  # Telegram: 200
    assert list(stored(engine)) == [41] and json.loads(stored(engine)[41]) == UPDATE
    assert woken == [1]


@pytest.mark.parametrize(
    "secret", [None, "", "wrong", SECRET[:-1], SECRET + "x", SECRET.upper(), SECRET.encode().hex()]
)
def test_a_post_without_the_right_secret_is_403_and_stores_nothing(hook, engine, secret):
    post, woken = hook.post, hook.woken
    answer = post(json.dumps(UPDATE), secret=secret)
    assert answer.status_code == 403
    assert SECRET not in answer.text
    assert stored(engine) == {} and woken == []


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[1, 2]",
        b'"update_id"',
        b"{}",
        b'{"update_id": "41"}',
        b'{"update_id": true}',
        b'{"update_id": 4.1}',
        b'{"update_id": -1}',
        b'{"update_id": 9223372036854775808}',
        b'{"update_id": null}',
        b'{"update_id": 41, "message": "\xff\xfe"}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"update_id": NaN}',
    ],
    ids=lambda body: repr(body[:30]),
)
def test_a_body_that_is_not_an_update_is_400_and_stores_nothing(hook, engine, body):
    post, woken = hook.post, hook.woken
    assert post(body).status_code == 400
    assert stored(engine) == {} and woken == []


def test_a_body_over_one_megabyte_is_413_announced_or_streamed(hook, engine):
    post = hook.post
    big = json.dumps({"update_id": 1, "message": {"text": "x" * 1024 * 1024}}).encode()
    assert post(big).status_code == 413

    def chunks():  # no Content-Length: sent chunked
        for start in range(0, len(big), 64 * 1024):
            yield big[start : start + 64 * 1024]

    assert post(chunks()).status_code == 413
    assert stored(engine) == {}


def test_without_webhook_settings_there_is_no_route(engine):
    with running(create_app(engine, WebConfig())) as url:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        answer = httpx.post(url + PATH, json=UPDATE, headers=headers, timeout=10)
    assert answer.status_code == 404
    assert stored(engine) == {}


def test_metrics_count_the_updates_waiting_in_the_inbox(hook, engine):
    post = hook.post
    assert post(json.dumps(UPDATE)).status_code == 200
    metrics = httpx.get(hook.url + "/metrics", timeout=10).text
    assert 'policywatch_inbox_updates{status="pending"} 1.0' in metrics


def test_a_full_inbox_answers_503_so_telegram_posts_again_later(engine):
    """A worker that is down, or anyone with the secret, piles up at most the cap; redeliveries get 200."""
    config = WebConfig(webhook_path=PATH, webhook_secret=SECRET, webhook_max_pending=2)
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    with running(create_app(engine, config)) as url, httpx.Client(base_url=url, timeout=10) as client:
        answers = [
            client.post(PATH, json={**UPDATE, "update_id": n}, headers=headers).status_code for n in (1, 2, 3)
        ]
        again = client.post(PATH, json={**UPDATE, "update_id": 2}, headers=headers)
        full = client.post(PATH, json={**UPDATE, "update_id": 4}, headers=headers)
    assert answers == [200, 200, 503]
    assert again.status_code == 200
    assert full.status_code == 503 and full.headers["Retry-After"] == "10"
    assert sorted(stored(engine)) == [1, 2]
