"""The real bot (python-telegram-bot over HTTP) against the fake Bot API server, and people who use it."""

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from telegram.ext import Application

from bot.conversation import BotServices
from bot.links import Links
from bot.reports import ReportService
from bot.telegram_app import build_application, start_bot, stop_bot
from storage.db import session_scope
from tests.pages import SEED_NEW, SEED_OLD, seed_text
from tests.seed import NEW_AT, OLD_AT, add_document
from tests.telegram_server import TOKEN, Sent, TelegramServer

ADMIN_ID = 4242
_ids = itertools.count(1001)


@pytest.fixture
def platforms(engine):
    """zeekr (the seed pair), 小红书 (one version) and NIO (nothing fetched yet)."""
    with session_scope(engine) as session:
        add_document(
            session,
            "zeekr",
            "极氪",
            "ZEEKR",
            [(OLD_AT, seed_text(SEED_OLD)), (NEW_AT, seed_text(SEED_NEW))],
            aliases=["jike", "极氪汽车"],
        )
        add_document(
            session,
            "xiaohongshu",
            "小红书",
            "Xiaohongshu",
            [(OLD_AT, "小红书隐私政策\n第一条")],
            aliases=["xhs", "RedNote"],
        )
        add_document(session, "nio", "蔚来", "NIO", [])
    return engine


@pytest.fixture
async def bot(telegram, platforms, request) -> AsyncIterator[Application]:
    """The bot with the automatic report; PUBLIC_URL is public unless the test is marked ``local_url``."""
    public_url = (
        "http://127.0.0.1:8080" if request.node.get_closest_marker("local_url") else "https://pw.example"
    )
    services = BotServices(
        platforms, ReportService(platforms, None, "unused"), Links(public_url), frozenset({ADMIN_ID})
    )
    application = build_application(TOKEN, telegram.base_url, services)
    await start_bot(application, poll_timeout=1)
    yield application
    await stop_bot(application)


@dataclass
class Person:
    """Someone typing in one chat (private, or a group) and reading what the bot sends there."""

    server: TelegramServer
    user: dict
    chat: dict

    async def say(self, text: str, replies: int = 1, sender_chat: dict | None = None) -> list[Sent]:
        """Type ``text``; wait for ``replies`` new messages in the chat (and a moment for any extra one)."""
        before = len(self.server.to_chat(self.chat["id"]))
        self.server.write(self.chat, self.user, text, sender_chat)
        return await self._replies(before, replies)

    async def _replies(self, before: int, expected: int) -> list[Sent]:
        chat_id = self.chat["id"]
        got = await asyncio.to_thread(
            self.server.wait_for, lambda: len(self.server.to_chat(chat_id)) >= before + expected
        )
        assert got, f"expected {expected} replies, got {self.server.to_chat(chat_id)[before:]}"
        await asyncio.sleep(0.3 if expected == 0 else 0.1)
        return self.server.to_chat(chat_id)[before:]

    async def press(self, message: Sent, label: str, replies: int = 0) -> tuple[dict, list[Sent]]:
        """Press the button labelled ``label``; returns Telegram's callback answer and the new messages."""
        before = len(self.server.to_chat(self.chat["id"]))
        query_id = self.server.press(self.user, message, message.button(label)["callback_data"])
        assert await asyncio.to_thread(self.server.wait_for, lambda: query_id in self.server.answers)
        return self.server.answers[query_id], await self._replies(before, replies)

    def edits(self) -> list[Sent]:
        return self.server.to_chat(self.chat["id"], "editMessageText")


def person(
    server: TelegramServer, language: str = "en", user_id: int | None = None, group: dict | None = None
):
    user_id = user_id or next(_ids)
    user = {"id": user_id, "is_bot": False, "first_name": f"user{user_id}", "language_code": language}
    chat = group or {"id": user_id, "type": "private", "first_name": user["first_name"]}
    return Person(server, user, chat)
