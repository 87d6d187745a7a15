"""Telegram's side of a webhook, for the fake Bot API server: setWebhook, deleteWebhook, getWebhookInfo.

While a webhook is set, the updates people make (``write``, ``press``, ...) are POSTed to its URL one at a
time, in order, with the ``X-Telegram-Bot-Api-Secret-Token`` header it was given; an answer other than 2xx
(or no answer) is remembered as getWebhookInfo's last error and the update is posted again a moment later,
as Telegram does. Unlike Telegram, any http(s) URL is accepted: tests serve the webhook on loopback.
"""

import re
import threading
import time
from typing import Protocol

import httpx


class _Server(Protocol):
    """What the webhook shares with the fake server: its queue of updates and the lock that guards it."""

    condition: threading.Condition
    pending: list[dict]
    closing: bool


SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
RETRY_SECONDS = 0.1  # Telegram waits longer between tries; the tests only need to see it try again
CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


class Webhook:
    """The webhook of one fake server: where updates go, with which secret, and what happened to them."""

    def __init__(self, server: _Server) -> None:
        self.server = server
        self.url: str | None = None
        self.secret: str | None = None
        self.allowed_updates: list[str] | None = None
        self.last_error: tuple[int, str] | None = None  # (unix time, message), as getWebhookInfo says
        self.posts: list[tuple[int, int]] = []  # (update_id, HTTP status, 0 without an answer) of each post
        self.delivered: dict[int, dict] = {}  # the updates the webhook accepted, by update_id
        self._thread: threading.Thread | None = None  # started by the first setWebhook

    def join(self) -> None:
        """Wait for the delivery thread, once the server is closing."""
        if self._thread is not None:
            self._thread.join(timeout=10)

    # -- the Bot API ---------------------------------------------------------------------------------

    def set(self, params: dict) -> bool:
        """ValueError with Telegram's description for a URL or secret it refuses."""
        url, secret = str(params.get("url") or ""), params.get("secret_token")
        if not re.fullmatch(r"https?://\S+", url):
            raise ValueError("Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise ValueError("Bad Request: secret token contains unallowed characters")
        with self.server.condition:
            if _is_true(params.get("drop_pending_updates")):
                self.server.pending.clear()
            self.url, self.secret = url, secret
            self.allowed_updates = params.get("allowed_updates")
            if self._thread is None:  # servers without a webhook (most tests, the benchmarks) need none
                self._thread = threading.Thread(target=self._deliver_forever, daemon=True, name="webhook")
                self._thread.start()
            self.server.condition.notify_all()
        return True

    def delete(self, params: dict) -> bool:
        with self.server.condition:
            if _is_true(params.get("drop_pending_updates")):
                self.server.pending.clear()
            self.url = self.secret = self.allowed_updates = None
        return True

    def info(self, _params: dict) -> dict:
        with self.server.condition:
            info: dict = {
                "url": self.url or "",
                "has_custom_certificate": False,
                "pending_update_count": len(self.server.pending) if self.url else 0,
                "max_connections": 40,
            }
            if self.allowed_updates is not None:
                info["allowed_updates"] = self.allowed_updates
            if self.last_error is not None:
                info["last_error_date"], info["last_error_message"] = self.last_error
        return info

    # -- for the tests -------------------------------------------------------------------------------

    def redeliver(self, update_id: int) -> None:
        """Post an update the webhook accepted once more, as Telegram does when it missed the answer."""
        with self.server.condition:
            self.server.pending.insert(0, self.delivered[update_id])
            self.server.condition.notify_all()

    def statuses(self, update_id: int) -> list[int]:
        """The answers to each post of ``update_id``, in turn."""
        with self.server.condition:
            return [status for posted, status in self.posts if posted == update_id]

    # -- delivery ------------------------------------------------------------------------------------

    def _deliver_forever(self) -> None:
        with httpx.Client(timeout=5) as client:
            while (next_post := self._next_post()) is not None:
                url, secret, update = next_post
                status, error = _post(client, url, secret, update)
                with self.server.condition:
                    self.posts.append((update["update_id"], status))
                    if error is None:
                        self.delivered[update["update_id"]] = update
                        self.server.pending = [u for u in self.server.pending if u is not update]
                    else:
                        self.last_error = (int(time.time()), error)
                    self.server.condition.notify_all()
                if error is not None:
                    time.sleep(RETRY_SECONDS)

    def _next_post(self) -> tuple[str, str | None, dict] | None:
        """Wait for an update to post while a webhook is set; None once the server closes."""
        with self.server.condition:
            while not self.server.closing and not (self.url and self.server.pending):
                self.server.condition.wait(timeout=0.05)
            if self.server.closing or self.url is None:
                return None
            return self.url, self.secret, self.server.pending[0]


def _post(client: httpx.Client, url: str, secret: str | None, update: dict) -> tuple[int, str | None]:
    """POST one update; its HTTP status (0 without an answer) and Telegram's words for a failure."""
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    try:
        response = client.post(url, json=update, headers=headers)
    except httpx.HTTPError as error:
        return 0, f"Connection failed: {type(error).__name__}"
    if 200 <= response.status_code < 300:
        return response.status_code, None
    wrong = f"Wrong response from the webhook: {response.status_code} {response.reason_phrase}"
    return response.status_code, wrong


def _is_true(value: object) -> bool:
    return str(value).lower() == "true"
