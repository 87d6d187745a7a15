"""/track and /untrack through the fake Bot API server: previews, discovery, confirming, quota, bad input."""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from functools import partial

import pytest
from httpx import AsyncClient
from sqlmodel import Session, col, select

from alerts.links import Links
from alerts.reports import ReportService
from bot.conversation import BotServices
from bot.telegram_app import build_application, start_bot, stop_bot
from bot.tracking import PendingTracks, _Offered
from scraping.fetch import Fetcher, make_client
from scraping.politeness import HostLimiter
from scraping.preview import preview_url
from storage.models import Document, Platform, Subscriber, Tracking
from tests.conftest import report_handled_updates
from tests.pages import OLD_PAGE
from tests.people import ADMIN_ID, person
from tests.servers import Page, PageServer
from tests.telegram_server import TOKEN

_PARAGRAPHS = "".join(
    f"<p>We collect personal information number {n} to provide the service to you.</p>" for n in range(40)
)
ENGLISH_POLICY = f"""<!DOCTYPE html><html><head><title>Privacy Policy | Example Bank</title></head><body>
<nav><a href="/">Home</a></nav><div class="cookie-banner">We use cookies.</div>
<main><h1>Example Bank Privacy Policy</h1><p>Last updated: March 3, 2025</p>
<h2>1. What we collect</h2>{_PARAGRAPHS}<h2>2. Who we share it with</h2><p>Nobody.</p>
<h2>3. Your rights</h2><p>Ask us.</p></main></body></html>""".encode()
HOMEPAGE = b"""<!DOCTYPE html><html><head><title>Example Bank</title></head><body>
<main><h1>Welcome</h1><p>Banking for everyone.</p></main>
<footer><a href="/legal/privacy?from=home">Privacy Policy</a> <a href="/terms">Terms of Use</a></footer>
</body></html>"""
SHORT_PAGE = (
    b"<html><head><title>News</title></head><body><main><p>Today's news: nothing.</p></main></body></html>"
)


def tracked_urls(engine, chat_id: int) -> list[str]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(Document.url)
                .join(Tracking, col(Tracking.document_id) == col(Document.id))
                .join(Subscriber, col(Subscriber.id) == col(Tracking.subscriber_id))
                .where(Subscriber.chat_id == chat_id)
                .order_by(col(Document.url))
            )
        )


@pytest.fixture
async def make_bot(telegram, platforms) -> AsyncIterator[Callable]:
    """Start the bot with a guarded fetcher for /track (private networks allowed unless told)."""
    async with AsyncExitStack() as stack:

        async def start(
            allow_private: bool = True,
            quota: int = 10,
            timeout: float = 5.0,
            client: AsyncClient | None = None,
        ):
            client = client or await stack.enter_async_context(
                make_client(allow_private_networks=allow_private, timeout_seconds=timeout)
            )
            fetcher = Fetcher(client, HostLimiter(), attempts=1)
            services = BotServices(
                platforms,
                ReportService(platforms, None, "unused"),
                Links("https://pw.example"),
                frozenset({ADMIN_ID}),
                previewer=partial(preview_url, fetcher),
                track_quota=quota,
            )
            application = build_application(TOKEN, telegram.base_url, services)
            report_handled_updates(application, telegram)
            await start_bot(application, poll_timeout=1)
            stack.push_async_callback(stop_bot, application)
            return application

        yield start


async def test_two_people_track_variants_of_one_page_and_share_one_document(
    make_bot, telegram, platforms, page_server: PageServer
):
    await make_bot()
    url = page_server.serve("/legal/privacy", Page(ENGLISH_POLICY))
    alice, bob = person(telegram, "en"), person(telegram, "zh-CN")
    (preview,) = await alice.say(f"/track {url}?utm_source=newsletter#rights")
    assert preview.text.startswith("Privacy Policy | Example Bank\n127.0.0.1 · " + url)
    assert "paragraphs · " in preview.text and " characters · English" in preview.text
    assert "Updated: 2025-03-03 · Effective: not stated" in preview.text
    assert "• Example Bank Privacy Policy\n• 1. What we collect\n• 2. Who we share it with" in preview.text
    assert "does not look like a policy" not in preview.text
    assert [b["text"] for b in preview.buttons] == ["✅ Track", "Cancel"]
    _, (tracked,) = await alice.press(preview, "✅ Track", replies=1)
    assert tracked.text.startswith("✅ Now tracking 127.0.0.1: " + url)  # the site, never the title
    (chinese,) = await bob.say(f"/track {url.upper().replace('/LEGAL/PRIVACY', '/legal/privacy')}?spm=a.b")
    assert [b["text"] for b in chinese.buttons] == ["✅ 跟踪", "取消"]
    assert "更新日期:2025-03-03" in chinese.text
    _, (done,) = await bob.press(chinese, "✅ 跟踪", replies=1)
    assert done.text.startswith("✅ 已开始跟踪 127.0.0.1")
    assert tracked_urls(platforms, alice.chat["id"]) == tracked_urls(platforms, bob.chat["id"]) == [url]
    with Session(platforms) as session:
        (document,) = session.exec(select(Document).where(col(Document.added_by_users))).all()
        platform = session.get_one(Platform, document.platform_id)
    assert platform.added_by_users and platform.name_en == "127.0.0.1"
    (found,) = await alice.say("/platforms 127.0.0.1")
    assert "• 127.0.0.1 / 127.0.0.1 (127-0-0-1) · added by users" in found.text
    (listed,) = await alice.say("/list")
    assert "The pages you track" in listed.text and url in listed.text
    _, (stopped,) = await alice.press(listed, f"Untrack {url.split('://')[1]}"[:47], replies=1)
    assert stopped.text == f"Stopped tracking {url}"
    assert tracked_urls(platforms, alice.chat["id"]) == []
    (again,) = await bob.say(f"/untrack {url}#x")
    assert again.text == f"已停止跟踪 {url}"
    assert telegram.errors == []


async def test_a_homepage_offers_its_policy_links_and_the_chosen_one_gets_the_preview(
    make_bot, telegram, platforms, page_server: PageServer
):
    await make_bot()
    home = page_server.serve("/", Page(HOMEPAGE))
    page_server.serve("/legal/privacy", Page(ENGLISH_POLICY))
    alice = person(telegram, "en")
    (offer,) = await alice.say(f"/track {home}")
    assert "is not a policy" in offer.text
    assert [b["text"] for b in offer.buttons] == ["Privacy Policy", "Terms of Use", "Cancel"]
    _, (preview,) = await alice.press(offer, "Privacy Policy", replies=1)
    assert preview.text.startswith("Privacy Policy | Example Bank")
    await alice.press(preview, "✅ Track", replies=1)
    assert tracked_urls(platforms, alice.chat["id"]) == [page_server.url("/legal/privacy")]


async def test_a_page_that_is_not_a_policy_needs_a_second_confirmation(
    make_bot, telegram, platforms, page_server: PageServer
):
    await make_bot()
    url = page_server.serve("/news", Page(SHORT_PAGE))
    alice = person(telegram, "en")
    (preview,) = await alice.say(f"/track {url}")
    assert "⚠️ This page does not look like a policy" in preview.text
    _, (confirm,) = await alice.press(preview, "✅ Track", replies=1)
    assert confirm.text == "This page does not look like a policy. Track it anyway?"
    assert tracked_urls(platforms, alice.chat["id"]) == []
    _, (tracked,) = await alice.press(confirm, "✅ Track anyway", replies=1)
    assert tracked.text.startswith("✅ Now tracking")
    assert tracked_urls(platforms, alice.chat["id"]) == [url]
    (cancelled_preview,) = await alice.say(f"/track {page_server.serve('/other', Page(SHORT_PAGE))}")
    _, (cancelled,) = await alice.press(cancelled_preview, "Cancel", replies=1)
    assert cancelled.text == "Cancelled: nothing is tracked."
    assert tracked_urls(platforms, alice.chat["id"]) == [url]


async def test_past_the_quota_nothing_is_tracked_and_admins_have_no_limit(
    make_bot, telegram, platforms, page_server: PageServer
):
    await make_bot(quota=1)
    first = page_server.serve("/a", Page(ENGLISH_POLICY))
    second = page_server.serve("/b", Page(ENGLISH_POLICY))
    alice, admin = person(telegram, "en"), person(telegram, "en", user_id=ADMIN_ID)
    (preview,) = await alice.say(f"/track {first}")
    await alice.press(preview, "✅ Track", replies=1)
    (refused,) = await alice.say(f"/track {second}")
    assert refused.text == "You already track 1 documents, the most one chat may. /untrack one first."
    for url in (first, second):
        (preview,) = await admin.say(f"/track {url}")
        await admin.press(preview, "✅ Track", replies=1)
    assert tracked_urls(platforms, ADMIN_ID) == [first, second]
    assert tracked_urls(platforms, alice.chat["id"]) == [first]


LIMIT_REACHED = (
    "This chat has added 1 new page in the last 30 days, the most one chat may. "
    "Pages that others already track can still be tracked."
)


async def test_tracking_and_untracking_adds_no_more_new_pages_than_the_quota_in_30_days(
    make_bot, telegram, platforms, page_server: PageServer
):
    await make_bot(quota=1)
    first, second, third = (page_server.serve(f"/{n}", Page(ENGLISH_POLICY)) for n in "abc")
    alice, bob = person(telegram, "en"), person(telegram, "zh-CN")
    admin = person(telegram, "en", user_id=ADMIN_ID)
    (preview,) = await alice.say(f"/track {first}")
    (waiting,) = await alice.say(f"/track {third}")  # previewed while she had added nothing
    await alice.press(preview, "✅ Track", replies=1)
    await alice.say(f"/untrack {first}")
    (refused,) = await alice.say(f"/track {second}")
    assert refused.text == LIMIT_REACHED and refused.buttons == []
    assert page_server.hits("/b") == 0
    _, (refused_press,) = await alice.press(waiting, "✅ Track", replies=1)
    assert refused_press.text == LIMIT_REACHED and tracked_urls(platforms, alice.chat["id"]) == []
    (preview,) = await bob.say(f"/track {second}")
    await bob.press(preview, "✅ 跟踪", replies=1)
    (existing,) = await alice.say(f"/track {second}")  # a page bob added: no new document
    _, (tracked,) = await alice.press(existing, "✅ Track", replies=1)
    assert tracked.text.startswith("✅ Now tracking") and tracked_urls(platforms, alice.chat["id"]) == [
        second
    ]
    for url in (first, second, third):
        (preview,) = await admin.say(f"/track {url}")
        await admin.press(preview, "✅ Track", replies=1)
        await admin.say(f"/untrack {url}")
    (preview,) = await admin.say(f"/track {page_server.serve('/d', Page(ENGLISH_POLICY))}")
    _, (admin_tracked,) = await admin.press(preview, "✅ Track", replies=1)
    assert admin_tracked.text.startswith("✅ Now tracking")
    assert telegram.errors == []


@pytest.mark.parametrize(
    ("make_url", "answer"),
    [
        (lambda server: "example.com/privacy", "That is not an http(s) address I can fetch."),
        (lambda server: "https://example.com/" + "a" * 5000, "That address is longer than 2048 characters"),
        (
            lambda server: server.serve("/logo.png", Page(b"\x89PNG", content_type="image/png")),
            "neither a web page",
        ),
        (lambda server: server.serve("/big", Page(b"<p>x</p>" * 1_400_000)), "over the size limit"),
        (lambda server: server.serve("/slow", Page(OLD_PAGE, delay=3)), "took too long to answer"),
        (lambda server: server.serve("/login", Page("<main><h1>请登录</h1></main>".encode())), "login page"),
        (
            lambda server: server.serve("/wall", Page(b"<main><p>Verify you are human: captcha</p></main>")),
            "captcha or anti-bot page",
        ),
        (lambda server: server.url("/missing"), "I could not fetch that page: "),
    ],
)
async def test_bad_input_gets_a_clear_answer_and_tracks_nothing(
    make_bot, telegram, platforms, page_server: PageServer, make_url, answer
):
    await make_bot(timeout=1.0)
    alice = person(telegram, "en")
    (reply,) = await alice.say(f"/track {make_url(page_server)}")
    assert answer in reply.text and reply.buttons == []
    assert tracked_urls(platforms, alice.chat["id"]) == []
    assert telegram.errors == []


async def test_a_private_address_is_refused(make_bot, telegram, platforms, page_server: PageServer):
    await make_bot(allow_private=False)
    alice = person(telegram, "en")
    (reply,) = await alice.say(f"/track {page_server.serve('/p', Page(ENGLISH_POLICY))}")
    assert reply.text.startswith("That address is not a public one I can reach")
    assert page_server.hits("/p") == 0


async def test_admins_list_tracked_documents_and_get_the_entry_to_promote_one(
    make_bot, telegram, platforms, page_server: PageServer
):
    await make_bot()
    url = page_server.serve("/legal/privacy", Page(ENGLISH_POLICY))
    alice, admin = person(telegram, "en"), person(telegram, "en", user_id=ADMIN_ID)
    (refused,) = await alice.say("/tracked")
    assert refused.text == "This command is for administrators only."
    (empty,) = await admin.say("/tracked")
    assert empty.text == "No document has been added by users yet."
    (preview,) = await alice.say(f"/track {url}")
    await alice.press(preview, "✅ Track", replies=1)
    with Session(platforms) as session:
        (document_id,) = session.exec(select(Document.id).where(col(Document.added_by_users))).all()
    (listed,) = await admin.say("/tracked")
    assert f"{document_id} · 127-0-0-1/privacy_policy · 1 follower · {url}" in listed.text
    (entry,) = await admin.say(f"/tracked {document_id}")
    assert "- slug: 127-0-0-1" in entry.text and f"url: {url}" in entry.text
    (unknown,) = await admin.say("/tracked 12345")
    assert "No document added by users has the id 12345" in unknown.text


async def test_unfollowing_the_platform_stops_tracking_its_pages(make_bot, telegram, platforms, page_server):
    await make_bot()
    url = page_server.serve("/legal/privacy", Page(ENGLISH_POLICY))
    alice = person(telegram, "en")
    (preview,) = await alice.say(f"/track {url}")
    await alice.press(preview, "✅ Track", replies=1)
    (done,) = await alice.say("/unfollow 127-0-0-1")
    assert done.text == "You no longer follow 127.0.0.1."
    assert tracked_urls(platforms, alice.chat["id"]) == []
    (again,) = await alice.say("/unfollow 127-0-0-1")
    assert again.text != done.text  # nothing left to stop
    assert telegram.errors == []


@pytest.mark.parametrize("action", ["d", "x", "f", "u", "r", "k"])
async def test_forged_button_ids_are_gone_never_an_error(make_bot, telegram, action):
    await make_bot()
    alice = person(telegram, "en")
    (shown,) = await alice.say("/help")
    for forged in ["²", "٢", "9" * 30, str(2**63), "-1", ""]:
        fields = {"r": f"{forged}:{forged}", "k": f"token:{forged}"}.get(action, forged)
        query_id = telegram.press(alice.user, shown, f"{action}:{fields}")
        assert await asyncio.to_thread(telegram.wait_for, lambda q=query_id: q in telegram.answers)
        answer = telegram.answers[query_id].get("text")
        assert answer == "This button has expired; please send the command again.", forged
    await asyncio.sleep(0.2)
    assert telegram.to_chat(alice.chat["id"])[1:] == [] and telegram.errors == []


async def test_a_page_with_a_huge_title_still_gets_its_preview(make_bot, telegram, page_server: PageServer):
    await make_bot()
    huge = ENGLISH_POLICY.replace(b"Privacy Policy | Example Bank", b"Privacy &amp; Policy " * 550)
    alice = person(telegram, "en")
    (preview,) = await alice.say(f"/track {page_server.serve('/huge', Page(huge))}")
    assert preview.text.startswith("Privacy & Policy Privacy & Policy") and len(preview.text) < 1000
    assert [b["text"] for b in preview.buttons] == ["✅ Track", "Cancel"] and telegram.errors == []


async def test_a_private_address_and_a_name_that_does_not_resolve_get_one_answer(
    make_bot, telegram, page_server: PageServer
):
    await make_bot(allow_private=False)
    alice = person(telegram, "en")
    (private,) = await alice.say(f"/track {page_server.serve('/p', Page(ENGLISH_POLICY))}")
    (unknown,) = await alice.say("/track http://intranet-wiki.invalid/privacy")
    assert private.text == unknown.text and "invalid" not in unknown.text


async def test_only_group_admins_pick_a_link_found_on_a_homepage(make_bot, telegram, page_server: PageServer):
    await make_bot()
    home = page_server.serve("/", Page(HOMEPAGE))
    page_server.serve("/legal/privacy", Page(ENGLISH_POLICY))
    group = {"id": -100888, "type": "supergroup", "title": "Privacy fans"}
    admin, member = person(telegram, "en", group=group), person(telegram, "en", group=group)
    telegram.members[(group["id"], admin.user["id"])] = "administrator"
    (offer,) = await admin.say(f"/track {home}")
    answer, _ = await member.press(offer, "Privacy Policy")
    assert answer["text"] == "Only the group's administrators can follow or unfollow platforms for the group."
    assert page_server.hits("/legal/privacy") == 0


def test_one_chat_cannot_push_out_the_previews_of_others():
    pending = PendingTracks(limit=100, per_chat=5)
    theirs = pending.put(_Offered(1, ()))
    mine = [pending.put(_Offered(2, ())) for _ in range(200)]
    assert pending.get(theirs, 1) is not None
    assert [pending.get(token, 2) is not None for token in mine[-6:]] == [False, *[True] * 5]


async def test_a_slow_preview_does_not_hold_up_anyone_else(make_bot, telegram, page_server: PageServer):
    await make_bot()
    url = page_server.serve("/slow", Page(ENGLISH_POLICY, delay=3))
    alice, bob = person(telegram, "en"), person(telegram, "en")
    telegram.write(alice.chat, alice.user, f"/track {url}")
    (helped,) = await bob.say("/help")
    assert telegram.to_chat(alice.chat["id"]) == []  # the preview is still on its way
    assert await asyncio.to_thread(telegram.wait_for, lambda: telegram.to_chat(alice.chat["id"]))
    (preview,) = telegram.to_chat(alice.chat["id"])
    assert preview.at > helped.at and preview.text.startswith("Privacy Policy | Example Bank")


async def test_five_previews_a_minute_per_chat(make_bot, telegram, page_server: PageServer):
    await make_bot()
    alice, bob = person(telegram, "en"), person(telegram, "en")
    for n in range(5):
        (preview,) = await alice.say(f"/track {page_server.serve(f'/p{n}', Page(SHORT_PAGE))}")
        assert preview.buttons
    (refused,) = await alice.say(f"/track {page_server.serve('/p5', Page(SHORT_PAGE))}")
    assert refused.text.startswith("Too many previews") and page_server.hits("/p5") == 0
    (other,) = await bob.say(f"/track {page_server.url('/p5')}")
    assert other.buttons


async def test_one_person_adds_no_more_new_pages_than_the_quota_whatever_group_they_use(
    make_bot, telegram, platforms, page_server: PageServer
):
    await make_bot(quota=1)
    first, second = (page_server.serve(f"/{n}", Page(ENGLISH_POLICY)) for n in "ab")
    groups = [{"id": -100700 - n, "type": "supergroup", "title": f"Group {n}"} for n in range(2)]
    carol = person(telegram, "en", group=groups[0])
    carol_elsewhere = person(telegram, "en", user_id=carol.user["id"], group=groups[1])
    dave = person(telegram, "en", group=groups[1])
    for someone in (carol, carol_elsewhere, dave):
        telegram.members[(someone.chat["id"], someone.user["id"])] = "administrator"
    (preview,) = await carol.say(f"/track {first}")
    await carol.press(preview, "✅ Track", replies=1)
    (refused,) = await carol_elsewhere.say(f"/track {second}")  # a new chat, the same person
    assert refused.text == (
        "You have added 1 new page in the last 30 days, the most one person may. "
        "Pages that others already track can still be tracked."
    )
    assert page_server.hits("/b") == 0
    (waiting,) = await dave.say(f"/track {second}")  # previewed by another admin, pressed by carol
    _, (refused_press,) = await carol_elsewhere.press(waiting, "✅ Track", replies=1)
    assert refused_press.text == refused.text and tracked_urls(platforms, groups[1]["id"]) == []
    _, (tracked,) = await dave.press(waiting, "✅ Track", replies=1)
    assert tracked.text.startswith("✅ Now tracking") and tracked_urls(platforms, groups[1]["id"]) == [second]
    assert telegram.errors == []
