"""Simulated people talk to the real bot through the fake Bot API server and read its answers."""

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from alerts.buttons import CALLBACK_LIMIT
from bot.telegram_app import MENU
from storage.models import Platform, Subscriber, Subscription
from tests.people import ADMIN_ID, person
from tests.telegram_server import utf16_length


def follows(engine, chat_id: int) -> list[str]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(Platform.slug)
                .join(Subscription, Subscription.platform_id == Platform.id)
                .join(Subscriber, Subscriber.id == Subscription.subscriber_id)
                .where(Subscriber.chat_id == chat_id)
                .order_by(Platform.slug)
            )
        )


def no_errors(telegram) -> None:
    """Telegram refused nothing the bot sent (HTML, lengths, buttons, callback data)."""
    assert telegram.errors == []
    for sent in telegram.sent:
        assert sent.params.get("parse_mode") == "HTML", sent
        assert utf16_length(sent.html) <= 4096
        assert all(len(b.get("callback_data", "").encode()) <= CALLBACK_LIMIT for b in sent.buttons)


async def test_start_welcomes_in_the_users_telegram_language_and_registers_menus(bot, telegram):
    (english,) = await person(telegram, "en-GB").say("/start")
    (chinese,) = await person(telegram, "zh-hans").say("/start")
    assert "PolicyWatch" in english.text and "/follow zeekr" in english.text
    assert "隐私政策观察" in chinese.text and "/follow 极氪" in chinese.text
    assert [c["command"] for c in telegram.commands[None]] == MENU
    assert [c["command"] for c in telegram.commands["zh"]] == MENU
    assert telegram.commands["zh"][3]["description"] == "关注平台"
    assert telegram.commands[None][3]["description"] == "Follow a platform"
    no_errors(telegram)


async def test_help_lists_every_command_with_an_example_admins_see_theirs(bot, telegram):
    (help_text,) = await person(telegram, "en").say("/help")
    for command in MENU[2:]:
        assert f"/{command}" in help_text.text
    assert "/compare zeekr 2025-11-10 latest" in help_text.text
    assert "/check" not in help_text.text
    (admin_help,) = await person(telegram, "zh", user_id=ADMIN_ID).say("/help")
    assert (
        "/check" in admin_help.text and "/stats" in admin_help.text and "例:/follow 极氪" in admin_help.text
    )


async def test_deep_link_follows_directly(bot, telegram, platforms):
    someone = person(telegram, "zh-CN")
    (answer,) = await someone.say("/start follow-zeekr")
    assert answer.text == "✅ 已关注 极氪。政策变化时会通知你。"
    assert follows(platforms, someone.chat["id"]) == ["zeekr"]


@pytest.mark.parametrize("typed", ["极氪", "zeekr", "jike", "ZEEKR", "zeekrr"])
async def test_follow_by_any_name_then_again_says_already(bot, telegram, platforms, typed):
    someone = person(telegram, "en")
    (answer,) = await someone.say(f"/follow {typed}")
    assert answer.text == "✅ You now follow ZEEKR. You will hear when its policies change."
    (again,) = await someone.say("/follow zeekr")
    assert again.text == "You already follow ZEEKR."
    assert follows(platforms, someone.chat["id"]) == ["zeekr"]


async def test_follow_unknown_suggests_or_says_none_and_nothing_changes(bot, telegram, platforms):
    someone = person(telegram, "en")
    (unknown,) = await someone.say("/follow tiktokk-nothing-like-it")
    assert "No platform called “tiktokk-nothing-like-it”" in unknown.text and unknown.buttons == []
    (usage,) = await someone.say("/follow")
    assert usage.text == "Name a platform, e.g. /follow zeekr"
    (close,) = await someone.say("/follow xiaohong")  # part of a name: one suggestion is followed directly
    assert close.text.startswith("✅ You now follow Xiaohongshu")
    assert follows(platforms, someone.chat["id"]) == ["xiaohongshu"]


async def test_several_matches_offer_buttons_and_a_button_follows(bot, telegram, platforms):
    with Session(platforms) as session:  # two platforms answering to one alias
        nio = session.exec(select(Platform).where(Platform.slug == "nio")).one()
        nio.aliases = ["ev"]
        zeekr = session.exec(select(Platform).where(Platform.slug == "zeekr")).one()
        zeekr.aliases = [*zeekr.aliases, "ev"]
        session.add_all([nio, zeekr])
        session.commit()
    someone = person(telegram, "zh")
    (choice,) = await someone.say("/follow ev")
    assert choice.text == "「ev」对应多个平台,请选择:"
    assert [b["text"] for b in choice.buttons] == ["➕ 蔚来", "➕ 极氪"]
    _, (followed,) = await someone.press(choice, "蔚来", replies=1)
    assert followed.text == "✅ 已关注 蔚来。政策变化时会通知你。"
    assert follows(platforms, someone.chat["id"]) == ["nio"]
    no_errors(telegram)


async def test_platforms_search_is_fuzzy_and_pages_with_buttons(bot, telegram, platforms):
    someone = person(telegram, "en")
    for query, expected in [
        ("极氪", "zeekr"),
        ("jike", "zeekr"),
        ("小红书", "xiaohongshu"),
        ("xhs", "xiaohongshu"),
    ]:
        (found,) = await someone.say(f"/platforms {query}")
        assert f"({expected})" in found.text, (query, found.text)
    (nothing,) = await someone.say("/platforms qqqqqqq")
    assert "No platform matches “qqqqqqq”" in nothing.text
    with Session(platforms) as session:
        session.add_all(
            Platform(slug=f"p{n:02}", name_zh=f"平台{n}", name_en=f"P{n}", aliases=[]) for n in range(10)
        )
        session.commit()
    (first,) = await someone.say("/platforms")
    assert (
        first.text.startswith("Platforms (page 1/2)")
        and "(nio)" in first.text
        and "(zeekr)" not in first.text
    )
    await someone.press(first, "Next ›")
    (page_two,) = someone.edits()
    assert page_two.text.startswith("Platforms (page 2/2)") and "(zeekr)" in page_two.text
    assert "‹ Previous" in [b["text"] for b in page_two.buttons]
    _, (followed,) = await someone.press(page_two, "ZEEKR", replies=1)
    assert followed.text.startswith("✅ You now follow ZEEKR")
    no_errors(telegram)


async def test_list_and_unfollow_by_command_and_button(bot, telegram, platforms):
    someone = person(telegram, "en")
    (empty,) = await someone.say("/list")
    assert empty.text.startswith("You follow no platform yet")
    await someone.say("/follow zeekr")
    await someone.say("/follow xhs")
    (listing,) = await someone.say("/list")
    assert listing.text.splitlines() == [
        "The platforms you follow",
        "• Xiaohongshu (xiaohongshu)",
        "• ZEEKR (zeekr)",
    ]
    _, (answer,) = await someone.press(listing, "Unfollow ZEEKR", replies=1)
    assert answer.text == "You no longer follow ZEEKR."
    (refreshed,) = someone.edits()
    assert refreshed.text.splitlines() == ["The platforms you follow", "• Xiaohongshu (xiaohongshu)"]
    (by_command,) = await someone.say("/unfollow 小红书")
    assert by_command.text == "You no longer follow Xiaohongshu."
    (again,) = await someone.say("/unfollow xhs")
    assert again.text == "You do not follow Xiaohongshu."
    assert follows(platforms, someone.chat["id"]) == []
    no_errors(telegram)


async def test_history_lists_versions_with_stated_and_first_seen_dates(bot, telegram):
    (english,) = await person(telegram, "en").say("/history zeekr")
    assert english.text.splitlines()[:4] == [
        "ZEEKR: versions",
        "Privacy policy",
        "#2 · updated 2025-05-19 · effective 2025-05-25 · first seen 2025-12-31",
        "#1 · updated 2025-05-19 · effective 2025-05-25 · first seen 2025-11-10",
    ]
    (chinese,) = await person(telegram, "zh").say("/history 蔚来")
    assert chinese.text.splitlines() == ["蔚来 的历史版本", "隐私政策", "尚未抓取到版本。"]


@pytest.mark.parametrize(
    ("dates", "old", "new"),
    [
        ("2025-11-10", 1, 2),
        ("2025/11/10 2025.12.31", 1, 2),
        ("20251110 latest", 1, 2),
        ("2025年11月10日", 1, 2),
        ("previous", 1, 2),
    ],
)
async def test_compare_sends_the_report_and_a_diff_button(bot, telegram, dates, old, new):
    (answer,) = await person(telegram, "zh").say(f"/compare 极氪 {dates}")
    assert answer.text.startswith(f"极氪 · 隐私政策\n版本 #{old}(2025-11-10)→ #{new}(2025-12-31)")
    assert "自动分析(未使用 AI)" in answer.text
    assert "浙江吉利汽车备件有限公司" in answer.text  # the changed company, from the automatic report
    assert answer.button("查看对比")["url"] == f"https://pw.example/p/zeekr/privacy_policy/diff/{old}..{new}"
    assert answer.params["link_preview_options"] == {"is_disabled": True}
    no_errors(telegram)


@pytest.mark.local_url
async def test_a_local_public_url_goes_in_the_text_not_a_button(bot, telegram):
    (answer,) = await person(telegram, "en").say("/latest zeekr")
    assert "Side-by-side diff: http://127.0.0.1:8080/p/zeekr/privacy_policy/diff/1..2" in answer.text
    assert answer.buttons == []
    no_errors(telegram)


async def test_latest_shows_the_most_recent_change_or_says_there_is_none(bot, telegram):
    someone = person(telegram, "en")
    (latest,) = await someone.say("/latest jike")
    assert latest.text.startswith("ZEEKR · Privacy policy\nVersion #1 (2025-11-10) → #2 (2025-12-31)")
    assert "Automatic analysis (no AI)" in latest.text
    (none,) = await someone.say("/latest xhs")
    assert none.text == "No change of Xiaohongshu recorded yet (one version so far, or none fetched)."


@pytest.mark.parametrize(
    ("arguments", "english", "chinese"),
    [
        ("zeekr 2025-02-30", "“2025-02-30” is not a real date.", "「2025-02-30」这一天不存在。"),
        ("zeekr yesterday", "“yesterday” is not a date. Use 2025-11-10", "「yesterday」不是日期。"),
        (
            "zeekr 2024-01-01",
            "2024-01-01 is before the first recorded version (2025-11-10).",
            "早于第一个记录的版本",
        ),
        ("zeekr 2099-01-01", "2099-01-01 is in the future.", "2099-01-01 还没到。"),
        ("zeekr 2025-11-10 2025-11-11", "The same version (#1) was in force at both dates", "同一个版本(#1)"),
        ("xhs previous", "There is only one version so far", "目前只有一个版本"),
        ("nosuch 2025-11-10", "No platform called “nosuch”", "找不到平台「nosuch」"),
        ("zeekr", "Usage: /compare platform date1 [date2]", "用法:/compare 平台 日期1 [日期2]"),
    ],
)
async def test_compare_bad_input_gets_a_short_answer_in_both_languages(
    bot, telegram, arguments, english, chinese
):
    (in_english,) = await person(telegram, "en").say(f"/compare {arguments}")
    (in_chinese,) = await person(telegram, "zh").say(f"/compare {arguments}")
    assert english in in_english.text
    assert chinese in in_chinese.text
    no_errors(telegram)


async def test_hostile_and_huge_arguments_are_answered_and_change_nothing(bot, telegram, platforms):
    someone = person(telegram, "en")
    (html,) = await someone.say("/follow <b>zeekr</b> & <script>alert(1)</script>")
    assert (
        "No platform called “<b>zeekr</b> & <script>alert(1)</script>”" in html.text
    )  # shown as typed, escaped
    (markdown,) = await someone.say("/history *zeekr* [x](http://evil)")
    assert "No platform called" in markdown.text
    (huge,) = await someone.say("/follow " + "极" * 10_000)
    assert huge.text == "That is too long (at most 200 characters); please shorten it."
    (huge_dates,) = await someone.say("/compare zeekr " + "2025-11-10" * 1000)
    assert huge_dates.text.startswith("That is too long")
    assert follows(platforms, someone.chat["id"]) == []
    no_errors(telegram)


async def test_commands_for_another_bot_and_unknown_commands(bot, telegram, platforms):
    someone = person(telegram, "en")
    (other,) = await someone.say("/follow@otherbot zeekr")
    assert other.text == "That command is addressed to @otherbot, not to me."
    (ours,) = await someone.say("/follow@policywatch_test_bot zeekr")
    assert ours.text.startswith("✅ You now follow ZEEKR")
    (unknown,) = await someone.say("/frobnicate")
    assert unknown.text == "I do not know that command. /help lists them all."
    group = {"id": -100777, "type": "supergroup", "title": "Privacy fans"}
    assert await person(telegram, "en", group=group).say("/follow@otherbot zeekr", replies=0) == []
    assert follows(platforms, group["id"]) == []


async def test_group_anyone_reads_only_admins_follow_for_the_group(bot, telegram, platforms):
    group = {"id": -100555, "type": "supergroup", "title": "Privacy fans"}
    member = person(telegram, "en", group=group)
    admin = person(telegram, "zh", group=group)
    telegram.members[(group["id"], admin.user["id"])] = "administrator"
    (history,) = await member.say("/history zeekr")
    assert history.text.startswith("ZEEKR: versions")
    (refused,) = await member.say("/follow zeekr")
    assert refused.text == "Only the group's administrators can follow or unfollow platforms for the group."
    assert follows(platforms, group["id"]) == []
    (followed,) = await admin.say("/follow zeekr")
    assert "ZEEKR" in followed.text  # the group's language is set by whoever spoke first
    assert follows(platforms, group["id"]) == ["zeekr"]
    (listing,) = await member.say("/list")
    answer, _ = await member.press(listing, "Unfollow")
    assert answer["text"] == "Only the group's administrators can follow or unfollow platforms for the group."
    assert follows(platforms, group["id"]) == ["zeekr"]
    anonymous = await member.say(
        "/unfollow zeekr", sender_chat=group
    )  # an anonymous admin posts as the group
    assert anonymous[0].text == "You no longer follow ZEEKR."
    assert follows(platforms, group["id"]) == []
    no_errors(telegram)


async def test_lang_switches_and_is_remembered(bot, telegram):
    someone = person(telegram, "en")
    (pick,) = await someone.say("/lang")
    assert [b["text"] for b in pick.buttons] == ["中文", "English"]
    _, (switched,) = await someone.press(pick, "中文", replies=1)
    assert switched.text == "好的,以后用中文回复。"
    (help_text,) = await someone.say("/help")
    assert help_text.text.startswith("命令")
    (back,) = await someone.say("/lang en")
    assert back.text == "OK, I will answer in English."


async def test_expired_buttons_are_answered(bot, telegram):
    someone = person(telegram, "en")
    (listing,) = await someone.say("/platforms")
    listing.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] = "f:99999"
    answer, _ = await someone.press(listing, "➕")
    assert answer["text"] == "This button has expired; please send the command again."
    listing.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] = "zz:nonsense"
    answer, _ = await someone.press(listing, "➕")
    assert answer["text"] == "This button has expired; please send the command again."


async def test_admin_commands_are_refused_to_others(bot, telegram):
    (refused,) = await person(telegram, "en").say("/stats")
    assert refused.text == "This command is for administrators only."
    (refused_check,) = await person(telegram, "zh").say("/check zeekr")
    assert refused_check.text == "这个命令仅限管理员。"


async def test_stats_for_admins(bot, telegram):
    await person(telegram, "en").say("/follow zeekr")
    (stats,) = await person(telegram, "en", user_id=ADMIN_ID).say("/stats")
    assert stats.text.splitlines()[:3] == [
        "Status",
        "Platforms 3 · documents 3 · versions 3",
        "Subscribers 2 (active) · follows 1",
    ]
    assert "Failing documents: none" in stats.text


async def test_a_failing_handler_apologises_and_logs(bot, telegram, platforms, caplog):
    with platforms.begin() as connection:  # break the database under the bot: a table it reads vanishes
        connection.execute(text("DROP TABLE deliveries"))
        connection.execute(text("DROP TABLE subscriptions"))
        connection.execute(text("DROP TABLE subscribers"))
    (apology,) = await person(telegram, "en").say("/history zeekr")
    assert apology.text == "Sorry, something went wrong; it has been logged. Please try again later."
    assert "Traceback" not in apology.text
    assert any(
        "handler failed" in record.message and "/history zeekr" in record.message for record in caplog.records
    )


async def test_the_language_follows_telegram_until_chosen(bot, telegram):
    someone = person(telegram, "en")
    (english,) = await someone.say("/list")
    someone.user["language_code"] = "zh-hant"
    (chinese,) = await someone.say("/list")
    assert english.text.startswith("You follow no platform yet") and chinese.text.startswith("你还没有关注")
    await someone.say("/lang en")
    (kept,) = await someone.say("/list")
    assert kept.text.startswith("You follow no platform yet")
