"""People who use the bot: someone typing in a chat (private or a group) and reading what the bot sends."""

import asyncio
import itertools
from dataclasses import dataclass

from tests.telegram_server import Sent, TelegramServer, update_id_of

ADMIN_ID = 4242
_ids = itertools.count(1001)


@dataclass
class Person:
    """Someone typing in one chat (private, or a group) and reading what the bot sends there."""

    server: TelegramServer
    user: dict
    chat: dict

    async def say(self, text: str, replies: int = 1, sender_chat: dict | None = None) -> list[Sent]:
        """Type ``text``; wait until the bot has handled it and sent ``replies`` new messages in the chat."""
        before = len(self.server.to_chat(self.chat["id"]))
        update_id = self.server.write(self.chat, self.user, text, sender_chat)
        return await self._replies(update_id, before, replies)

    async def _replies(self, update_id: int, before: int, expected: int) -> list[Sent]:
        """The new messages once the bot has handled the update (in a separate process: a moment later)."""
        chat_id = self.chat["id"]

        def done() -> bool:
            handled = self.server.is_handled(update_id)
            return handled and len(self.server.to_chat(chat_id)) >= before + expected

        got = await asyncio.to_thread(self.server.wait_for, done)
        assert got, f"expected {expected} replies, got {self.server.to_chat(chat_id)[before:]}"
        if not self.server.reports_handling:  # a bot in another process: give any extra message a moment
            await asyncio.sleep(0.3 if expected == 0 else 0.1)
        return self.server.to_chat(chat_id)[before:]

    async def press(self, message: Sent, label: str, replies: int = 0) -> tuple[dict, list[Sent]]:
        """Press the button labelled ``label``; returns Telegram's callback answer and the new messages."""
        before = len(self.server.to_chat(self.chat["id"]))
        query_id = self.server.press(self.user, message, message.button(label)["callback_data"])
        assert await asyncio.to_thread(self.server.wait_for, lambda: query_id in self.server.answers)
        return self.server.answers[query_id], await self._replies(update_id_of(query_id), before, replies)

    def edits(self) -> list[Sent]:
        return self.server.to_chat(self.chat["id"], "editMessageText")


def person(
    server: TelegramServer, language: str = "en", user_id: int | None = None, group: dict | None = None
):
    user_id = user_id or next(_ids)
    user = {"id": user_id, "is_bot": False, "first_name": f"user{user_id}", "language_code": language}
    chat = group or {"id": user_id, "type": "private", "first_name": user["first_name"]}
    return Person(server, user, chat)
