"""Webhook mode: the fake Telegram posts people's updates to the web app, the worker's bot answers them."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from sqlmodel import Session, select
from telegram.ext import Application

from alerts.links import Links
from alerts.reports import ReportService
from bot.conversation import BotServices
from bot.telegram_app import build_application, start_bot, stop_bot
from bot.webhook import ALLOWED_UPDATES, Webhook, reading_inbox, start_webhook_bot
from storage.models import InboxStatus, InboxUpdate
from tests.conftest import report_handled_updates
from tests.people import ADMIN_ID, person
from tests.service_process import free_port, wait_until
from tests.telegram_server import TOKEN
from tests.telegram_webhook import SECRET_HEADER
from web.app import WebConfig, create_app
from web.serve import server_config

SECRET = "webhook-Secret_0123456789"
PATH = "/telegram/webhook"
WELCOME = "PolicyWatch"
FOLLOWED = "✅ You now follow ZEEKR. You will hear when its policies change."


@dataclass
class Site:
    """The web app serving the webhook, and the bot Telegram was told to post to it."""

    url: str
    application: Application
    wake: asyncio.Event


def services(engine) -> BotServices:
    return BotServices(
        engine, ReportService(engine, None, "unused"), Links("https://pw.example"), frozenset({ADMIN_ID})
    )


@pytest.fixture
async def site(telegram, platforms) -> AsyncIterator[Site]:
    """The web app on a loopback port, in this event loop as in `policywatch run`; the webhook is set."""
    application = build_application(TOKEN, telegram.base_url, services(platforms), polling=False)
    report_handled_updates(application, telegram)
    wake = asyncio.Event()
    app = create_app(platforms, WebConfig(webhook_path=PATH, webhook_secret=SECRET), on_update=wake.set)
    server = uvicorn.Server(server_config(app, "127.0.0.1", 0, log_config=None))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        assert not serving.done(), serving.exception()
        await asyncio.sleep(0.01)
    url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}{PATH}"
    await start_webhook_bot(application, Webhook(url, SECRET))
    yield Site(url, application, wake)
    server.should_exit = True
    await serving
    await stop_bot(application)


@pytest.fixture
async def hooked(site: Site, platforms) -> AsyncIterator[Site]:
    """``site`` with the worker reading the inbox."""
    async with reading_inbox(platforms, site.application, site.wake):
        yield site


def inbox(engine) -> dict[int, InboxUpdate]:
    with Session(engine) as session:
        return {row.update_id: row for row in session.exec(select(InboxUpdate)).all()}


async def test_people_are_answered_through_the_webhook(hooked, telegram, platforms):
    assert telegram.webhook.url == hooked.url and telegram.webhook.secret == SECRET
    assert telegram.webhook.allowed_updates == ALLOWED_UPDATES
    someone = person(telegram, "en")
    (welcome,) = await someone.say("/start")
    assert WELCOME in welcome.text
    (choice,) = await someone.say("/platforms zeekr")
    _, (followed,) = await someone.press(choice, "ZEEKR", replies=1)  # a button: a callback query update
    assert followed.text == FOLLOWED
    assert all(statuses == [200] for statuses in map(telegram.webhook.statuses, inbox(platforms)))

    def all_done() -> bool:  # marked a moment after the handlers ran
        return {row.status for row in inbox(platforms).values()} == {InboxStatus.DONE}

    await asyncio.to_thread(wait_until, all_done, 15)
    assert all(row.body is None for row in inbox(platforms).values())  # messages are not kept once handled
    assert telegram.errors == []


@pytest.mark.parametrize("secret", [None, "wrong", SECRET[:-1]])
async def test_a_post_without_the_secret_is_refused_and_never_handled(hooked, telegram, platforms, secret):
    forger = person(telegram, "en")
    forged = {
        "update_id": 999,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": forger.chat,
            "from": forger.user,
            "text": "/follow zeekr",
            "entities": [{"type": "bot_command", "offset": 0, "length": 7}],
        },
    }
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.post(hooked.url, json=forged, headers=headers)
    assert answer.status_code == 403
    (welcome,) = await person(telegram, "en").say("/start")  # handled after anything stored before it
    assert WELCOME in welcome.text
    assert telegram.to_chat(forger.chat["id"]) == [] and 999 not in inbox(platforms)


async def test_a_redelivered_update_is_handled_once(hooked, telegram, platforms):
    someone = person(telegram, "en")
    await someone.say("/follow zeekr")
    update_id = telegram.next_update_id - 1
    telegram.webhook.redeliver(update_id)  # Telegram did not get our 200 in time: it posts the update again
    assert await asyncio.to_thread(
        telegram.wait_for, lambda: telegram.webhook.statuses(update_id) == [200, 200]
    )
    (welcome,) = await someone.say("/start")  # handled after anything stored before it
    assert WELCOME in welcome.text
    assert [sent.text for sent in telegram.to_chat(someone.chat["id"])] == [FOLLOWED, welcome.text]


async def test_an_update_the_bot_cannot_read_is_dropped_and_the_others_go_on(
    hooked, telegram, platforms, caplog
):
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.post(
            hooked.url,
            json={"update_id": 1_000_000, "message": "not a message"},
            headers={SECRET_HEADER: SECRET},
        )
    assert answer.status_code == 200  # a JSON object with an update_id: stored, for the worker to judge
    await asyncio.to_thread(wait_until, lambda: inbox(platforms)[1_000_000].status == InboxStatus.FAILED, 15)
    assert "AttributeError" in inbox(platforms)[1_000_000].error
    assert "inbox update 1000000 is not an update the bot can read" in caplog.text
    (welcome,) = await person(telegram, "en").say("/start")
    assert WELCOME in welcome.text


async def test_updates_wait_in_the_inbox_while_no_worker_runs(site, telegram, platforms):
    someone = person(telegram, "en")
    update_id = telegram.write(someone.chat, someone.user, "/start")
    assert await asyncio.to_thread(telegram.wait_for, lambda: telegram.webhook.statuses(update_id) == [200])
    assert inbox(platforms)[update_id].status == InboxStatus.PENDING  # accepted: Telegram forgets it
    assert telegram.to_chat(someone.chat["id"]) == []
    async with reading_inbox(platforms, site.application, asyncio.Event()):  # the worker starts
        assert await asyncio.to_thread(telegram.wait_for, lambda: telegram.to_chat(someone.chat["id"]))
    assert WELCOME in telegram.to_chat(someone.chat["id"])[0].text


async def test_polling_again_deletes_the_webhook(telegram, platforms):
    telegram.webhook.set({"url": f"http://127.0.0.1:{free_port()}{PATH}", "secret_token": SECRET})
    application = build_application(TOKEN, telegram.base_url, services(platforms))
    report_handled_updates(application, telegram)
    await start_bot(application, poll_timeout=1)
    try:
        assert telegram.webhook.url is None
        (welcome,) = await person(telegram, "en").say("/start")
        assert WELCOME in welcome.text
    finally:
        await stop_bot(application)
