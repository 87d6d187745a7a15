"""Keyword watch: /watch and its limits, one message per change per person, digests with keyword hits.

The pipeline and the sender run in-process against the fake Bot API server, as in test_delivery.py.
"""

from datetime import timedelta

from sqlmodel import Session, select

from alerts.digest import enqueue_digests
from storage.models import Delivery, Watch
from tests.alerts.test_delivery import LINKS, SOON_AFTER, deliveries, drain, pipeline, subscribe
from tests.people import person

NEW_SENTENCE = "极物商城由关联方浙江吉利汽车备件有限公司负责运营,"


def watched(engine, chat_id: int) -> list[str]:
    from storage.models import Subscriber

    with Session(engine) as session:
        return list(
            session.exec(
                select(Watch.keyword)
                .join(Subscriber, Subscriber.id == Watch.subscriber_id)
                .where(Subscriber.chat_id == chat_id)
                .order_by(Watch.id)
            )
        )


async def test_watch_commands_suggestions_limits_and_removal(bot, telegram, platforms):
    someone = person(telegram, "en")
    (offer,) = await someone.say("/watch")
    assert [b["text"] for b in offer.buttons][:3] == ["face", "biometric", "precise location"]
    assert "SDK" in [b["text"] for b in offer.buttons]
    _, (added,) = await someone.press(offer, "face", replies=1)
    assert added.text == "✅ You now watch face (every platform)."
    (again,) = await someone.say("/watch FACE")
    assert again.text == "You already watch face (every platform)."
    (scoped,) = await someone.say("/watch Ｌｏｃａｔｉｏｎ zeekr")
    assert scoped.text == "✅ You now watch location (ZEEKR only)."
    (chinese,) = await someone.say("/watch 人脸 极氪")
    assert chinese.text == "✅ You now watch 人脸 (ZEEKR only)."
    for typed, answer in [
        ("/watch " + "x" * 51, "That keyword is too long (at most 50 characters)."),
        ("/watch !!!", "A keyword needs letters or digits, not only punctuation."),
        ("/watch <b>x</b>", "A keyword cannot contain HTML (< > or &…;)."),
    ]:
        (refused,) = await someone.say(typed)
        assert refused.text == answer
    assert watched(platforms, someone.chat["id"]) == ["face", "location", "人脸"]
    (listing,) = await someone.say("/watches")
    assert listing.text.splitlines() == [
        "Your keywords (3/20):",
        "• face — every platform",
        "• location — ZEEKR only",
        "• 人脸 — ZEEKR only",
    ]
    answer, _ = await someone.press(listing, "Remove location")
    assert answer["text"] == "Removed location"
    (refreshed,) = someone.edits()
    assert "location" not in refreshed.text
    (gone,) = await someone.say("/unwatch 人脸")
    assert gone.text == "You no longer watch 人脸."
    (never,) = await someone.say("/unwatch 人脸")
    assert never.text.startswith("You do not watch 人脸.")
    assert watched(platforms, someone.chat["id"]) == ["face"]


async def test_at_most_twenty_keywords(bot, telegram, platforms):
    someone = person(telegram, "zh-CN")
    for number in range(20):
        await someone.say(f"/watch 词{number}")
    (full,) = await someone.say("/watch 人脸")
    assert full.text == "最多关注 20 个关键词。先用 /watches 删除一个。"
    assert len(watched(platforms, someone.chat["id"])) == 20


async def test_one_message_per_change_per_person(bot, telegram, platforms):
    watcher, other, both = person(telegram, "zh-CN"), person(telegram, "en"), person(telegram, "en")
    await watcher.say("/watch 吉利")  # in the sentence the seed change adds
    await other.say("/watch 人脸")  # in no changed sentence
    subscribe(platforms, both.chat["id"], ["zeekr"], "en")
    await both.say("/watch 吉利")
    await both.say("/watch 浩物")  # in the sentence the change removes
    assert await pipeline(platforms).sweep() == 2
    await drain(platforms, telegram)
    (alert,) = telegram.to_chat(watcher.chat["id"])[1:]
    assert alert.text.splitlines()[0] == "🔎 极氪 · 隐私政策 的变化涉及关键词 吉利"
    assert "政策更新日期 2025-05-19 · 生效日期 2025-05-25" in alert.text
    assert f"➕ 新增:\n{NEW_SENTENCE}" in alert.text
    assert "<b>吉利</b>" in alert.html
    assert [b["text"] for b in alert.buttons] == ["查看对比", "完整报告"]  # no Unfollow: it was not followed
    assert alert.button("查看对比")["url"] == "https://pw.example/p/zeekr/privacy_policy/diff/1..2"
    assert telegram.to_chat(other.chat["id"])[1:] == []
    (one,) = telegram.to_chat(both.chat["id"])[2:]
    assert one.text.startswith("🔔 ZEEKR · Privacy policy changed\n🔎 Mentions your keyword: 吉利、浩物\n")
    assert [b["text"] for b in one.buttons] == ["View diff", "Full report", "Unfollow"]
    assert {d.kind for d in deliveries(platforms)} == {"alert", "keyword"}
    assert telegram.errors == []


async def test_a_platform_limited_watch_and_the_digest(bot, telegram, platforms):
    elsewhere, digest = person(telegram, "en"), person(telegram, "en")
    await elsewhere.say("/watch 吉利 nio")  # another platform: the zeekr change is not for them
    subscribe(platforms, digest.chat["id"], [], "en", digest=True)
    await digest.say("/watch 吉利")
    await pipeline(platforms).sweep()
    await drain(platforms, telegram)
    assert telegram.to_chat(elsewhere.chat["id"])[1:] == []
    assert telegram.to_chat(digest.chat["id"])[1:] == []  # not now: in the digest
    assert enqueue_digests(platforms, LINKS, SOON_AFTER + timedelta(days=3)) == 1
    await drain(platforms, telegram)
    (weekly,) = telegram.to_chat(digest.chat["id"])[1:]
    assert weekly.text.splitlines() == [
        "📰 This week's policy changes (1)",
        "• ZEEKR · Privacy policy [minor] 1 change",
    ]
    with Session(platforms) as session:
        assert session.exec(select(Delivery.kind)).all() == ["digest"]


async def test_a_keyword_is_sent_whatever_the_minimum_severity(bot, telegram, platforms):
    picky, quiet = person(telegram, "en"), person(telegram, "en")
    subscribe(platforms, picky.chat["id"], ["zeekr"], "en", min_severity="moderate")  # the change is minor
    subscribe(platforms, quiet.chat["id"], ["zeekr"], "en", min_severity="moderate")
    await picky.say("/watch 吉利")
    await pipeline(platforms).sweep()
    await drain(platforms, telegram)
    (alert,) = telegram.to_chat(picky.chat["id"])[1:]
    assert "🔎 Mentions your keyword: 吉利" in alert.text
    assert telegram.to_chat(quiet.chat["id"]) == []


async def test_in_a_group_only_admins_watch(bot, telegram, platforms):
    group = {"id": -5001, "type": "supergroup", "title": "privacy"}
    member = person(telegram, "en", group=group)
    (refused,) = await member.say("/watch face")
    assert refused.text == "Only the group's administrators can change the group's keywords."
    telegram.members[(group["id"], member.user["id"])] = "administrator"
    (done,) = await member.say("/watch face")
    assert done.text == "✅ You now watch face (every platform)."
    assert watched(platforms, group["id"]) == ["face"]
