"""Inline mode through the fake Bot API: `@bot 极氪` in any chat, answered once, within Telegram's 10 s."""

import asyncio

import httpx

from tests.people import person
from tests.telegram_server import STALE_QUERY, TOKEN


async def ask(telegram, user: dict, text: str) -> dict:
    query_id = telegram.ask_inline(user, text)
    assert await asyncio.to_thread(telegram.wait_for, lambda: query_id in telegram.inline_answers)
    return telegram.inline_answers[query_id]


async def test_a_platform_name_answers_with_its_latest_change_in_the_askers_language(
    bot, telegram, platforms
):
    english = person(telegram, "en").user
    for typed in [
        "极氪",
        "zeekr",
        "jike",
        "zeekrr",
    ]:  # names as /platforms takes them: pinyin, aliases, typos
        answer = await ask(telegram, english, typed)
        (result,) = answer["results"]
        assert result["title"] == "ZEEKR · Privacy policy: 1 change"
        assert result["description"] == "minor · updated 2025-05-19 · effective 2025-05-25 · seen 2025-12-31"
        message = result["input_message_content"]["message_text"]
        assert "Side-by-side diff: https://pw.example/p/zeekr/privacy_policy/diff/1..2" in message
        assert (answer["cache_time"], answer["is_personal"]) == ("60", "true")  # form fields
    chinese = person(telegram, "zh-CN").user
    (result,) = (await ask(telegram, chinese, "zeekr"))["results"]
    assert result["title"] == "极氪 · 隐私政策: 1 处变化"
    assert (await ask(telegram, chinese, "没有这个平台qqq"))["results"] == []
    assert telegram.errors == []


async def test_an_empty_query_offers_the_most_recent_changes(bot, telegram, platforms):
    answer = await ask(telegram, person(telegram, "en").user, "")
    assert [r["title"] for r in answer["results"]] == ["ZEEKR · Privacy policy: 1 change"]


def answer_again(telegram, query_id: str) -> httpx.Response:
    params = {"inline_query_id": query_id, "results": []}
    return httpx.post(f"{telegram.base_url}{TOKEN}/answerInlineQuery", json=params, timeout=5)


async def test_the_fake_telegram_refuses_a_second_answer_and_a_late_one(bot, telegram, platforms):
    someone = person(telegram, "en").user
    query_id = telegram.ask_inline(someone, "zeekr")
    assert await asyncio.to_thread(telegram.wait_for, lambda: query_id in telegram.inline_answers)
    again = answer_again(telegram, query_id)
    assert again.status_code == 400 and again.json()["description"] == STALE_QUERY
    telegram.inline_timeout = 0.0  # the bot answers, but too late
    late = telegram.ask_inline(someone, "zeekr")
    assert await asyncio.to_thread(
        telegram.wait_for, lambda: ("answerInlineQuery", 400, STALE_QUERY) in telegram.errors[1:]
    )
    assert late not in telegram.inline_answers
