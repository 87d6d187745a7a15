"""The public channel (CHANNEL_ID): every alerted change posted once, through the outbox, in one language."""

from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from alerts.links import Links
from alerts.text import in_language
from i18n import say
from storage.models import Alert, Document, Platform

# The chat id of a channel delivery when CHANNEL_ID is an @username: the sender posts to the username.
BY_USERNAME = 0


@dataclass(frozen=True)
class Channel:
    """CHANNEL_ID as configured (``@name`` or ``-100…``) and CHANNEL_LANGUAGE."""

    target: str
    language: str = "zh"

    @property
    def chat_id(self) -> int:
        """What a channel delivery stores as its chat: the id, or BY_USERNAME (also the pace's key)."""
        return BY_USERNAME if self.target.startswith("@") else int(self.target)

    @property
    def address(self) -> str | int:
        """What sendMessage takes as chat_id."""
        return self.target if self.target.startswith("@") else int(self.target)


def channel_post(
    channel: Channel, alert: Alert, platform: Platform, document: Document, links: Links
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The alert in the channel's language; the diff as a button when PUBLIC_URL is public (else the text
    has it). No callback buttons: a press in a channel would answer into the channel."""
    text = in_language(alert.messages, channel.language)
    if not links.buttons_allowed:
        return text, None
    url = links.diff(platform.slug, document.kind, alert.from_version_id, alert.to_version_id)
    return text, InlineKeyboardMarkup([[InlineKeyboardButton(say(channel.language, "button.diff"), url=url)]])
