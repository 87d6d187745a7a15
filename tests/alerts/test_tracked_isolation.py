"""A page a stranger tracks on a catalog platform's domain reaches only the chats tracking it.

Not the platform's followers, not keyword watchers of every platform, not the public channel; and a
user-added page nobody tracks is not alerted (no report is made for nobody).
"""

from sqlmodel import Session, select

from alerts.channel import Channel
from analysis.dates import stated_dates
from scraping.tracking import add_tracked
from storage.db import row_id, session_scope
from storage.models import Alert, Delivery
from storage.subscribers import ensure_subscriber
from storage.tracking import track, untrack
from storage.versions import FetchFacts, record_text
from storage.watches import add_watch
from tests.alerts.test_channel import CHANNEL, channel_pipeline
from tests.alerts.test_delivery import subscribe
from tests.seed import NEW_AT, OLD_AT

STRANGER, FOLLOWER, WATCHER = 900, 501, 502
EVIL_OLD = "隐私政策\n第一条 我们保护您。"
EVIL_NEW = "隐私政策\n第一条 我们保护您。\n第二条 请立即访问 evil.example 领取人脸识别补贴。"


def strangers_page(engine, tracked: bool = True) -> int:
    """A page on ZEEKR's own host (https://example.com/zeekr), titled to pass for WeChat, changed once."""
    with session_scope(engine) as session:
        document = add_tracked(session, "https://example.com/evil", "privacy_policy", OLD_AT)
        stranger = ensure_subscriber(session, STRANGER, "private", "en")
        track(session, stranger, document)
        for text, at in ((EVIL_OLD, OLD_AT), (EVIL_NEW, NEW_AT)):
            record_text(session, document, text, FetchFacts(document.url, 200), at, stated_dates(text))
        if not tracked:
            untrack(session, stranger, document, NEW_AT)
        return row_id(document)


def deliveries_of(engine, document_id: int) -> set[tuple[str, int]]:
    with Session(engine) as session:
        rows = session.exec(
            select(Delivery)
            .join(Alert, Alert.id == Delivery.alert_id)
            .where(Alert.document_id == document_id)
        )
        return {(str(delivery.kind), delivery.chat_id) for delivery in rows}


async def test_followers_all_platform_watchers_and_the_channel_get_nothing_of_a_strangers_page(platforms):
    subscribe(platforms, FOLLOWER, ["zeekr"], "en")
    subscribe(platforms, WATCHER, [], "en")
    with session_scope(platforms) as session:
        watcher = ensure_subscriber(session, WATCHER, "private", "en")
        add_watch(session, watcher, "人脸", None, 20)
    document_id = strangers_page(platforms)
    await channel_pipeline(platforms, Channel(str(CHANNEL), "en")).sweep()
    assert deliveries_of(platforms, document_id) == {("alert", STRANGER)}
    # ZEEKR's own change still reaches its follower and the channel.
    with Session(platforms) as session:
        kinds = {(str(d.kind), d.chat_id) for d in session.exec(select(Delivery))}
    assert ("alert", FOLLOWER) in kinds and ("channel", CHANNEL) in kinds


async def test_a_user_added_page_nobody_tracks_is_not_alerted(platforms):
    subscribe(platforms, FOLLOWER, ["zeekr"], "en")
    document_id = strangers_page(platforms, tracked=False)
    await channel_pipeline(platforms, Channel(str(CHANNEL), "en")).sweep()
    with Session(platforms) as session:
        assert session.exec(select(Alert).where(Alert.document_id == document_id)).all() == []
