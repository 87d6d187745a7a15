"""Simulated people talk to the real bot through the fake Bot API server and read its answers."""

from tests.bot.conftest import person


async def test_start_welcomes_in_the_users_telegram_language(bot, telegram):
    (english,) = await person(telegram, "en-GB").say("/start")
    (chinese,) = await person(telegram, "zh-hans").say("/start")
    assert "PolicyWatch" in english.text and "/follow" in english.text
    assert "隐私政策观察" in chinese.text
    assert english.params["parse_mode"] == "HTML"
