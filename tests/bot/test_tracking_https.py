"""http and https of one address are one tracked page, read over https when that answers."""

from httpx import AsyncClient
from sqlmodel import Session, col, select

from scraping.guard import GuardedTransport
from storage.models import Document
from tests.bot import test_tracking
from tests.bot.test_tracking import ENGLISH_POLICY, tracked_urls
from tests.people import person
from tests.scraping.test_fetch_guard import _certificate, _trusting
from tests.servers import Page, PageServer, TlsPageServer

make_bot = test_tracking.make_bot  # the fixture


async def test_an_http_address_is_read_over_https_when_that_answers_and_both_are_one_page(
    make_bot, telegram, platforms, tmp_path
):
    certificate, key = _certificate(tmp_path, "policy.test")

    async def dns(_host: str, _port: int) -> list[str]:
        return ["127.0.0.1"]

    transport = GuardedTransport(dns, allow_private_networks=True, verify=_trusting(certificate))
    with TlsPageServer(certificate, key) as server:
        server.serve("/privacy", Page(ENGLISH_POLICY))
        async with AsyncClient(transport=transport, follow_redirects=True) as client:
            await make_bot(client=client)
            secure = f"https://policy.test:{server.port}/privacy"
            alice, bob = person(telegram, "en"), person(telegram, "en")
            (preview,) = await alice.say(f"/track {secure.replace('https://', 'http://')}")
            assert preview.text.splitlines()[1] == f"policy.test · {secure}"
            _, (tracked,) = await alice.press(preview, "✅ Track", replies=1)
            assert tracked.text.startswith(f"✅ Now tracking policy.test: {secure}")
            (same,) = await bob.say(f"/track {secure}")
            await bob.press(same, "✅ Track", replies=1)
            (stopped,) = await alice.say(f"/untrack {secure.replace('https://', 'HTTP://')}")
            assert stopped.text == f"Stopped tracking {secure}"
    assert (
        tracked_urls(platforms, bob.chat["id"]) == [secure]
        and tracked_urls(platforms, alice.chat["id"]) == []
    )
    with Session(platforms) as session:
        assert session.exec(select(Document.url).where(col(Document.added_by_users))).all() == [secure]


async def test_a_page_tracked_over_http_stays_on_http_for_who_asks_for_https(
    make_bot, telegram, platforms, page_server: PageServer
):
    await make_bot()
    url = page_server.serve("/legal/privacy", Page(ENGLISH_POLICY))
    alice, bob = person(telegram, "en"), person(telegram, "en")
    (preview,) = await alice.say(f"/track {url}")  # the server has no https: read over http
    await alice.press(preview, "✅ Track", replies=1)
    (same,) = await bob.say(f"/track {url.replace('http://', 'https://')}")
    assert same.text.splitlines()[1] == f"127.0.0.1 · {url}"
    _, (tracked,) = await bob.press(same, "✅ Track", replies=1)
    assert tracked.text.startswith(f"✅ Now tracking 127.0.0.1: {url}")
    assert tracked_urls(platforms, alice.chat["id"]) == tracked_urls(platforms, bob.chat["id"]) == [url]
    assert telegram.errors == []
